"""``zhengdun demo``: a ready workspace built from the shipped demo county, with real history.

The shipped ``ledgers/`` are replayed event by event, in date order, through the same
operations the commands use, each commit dated on its event (``GIT_AUTHOR_DATE`` and
``GIT_COMMITTER_DATE``) and made by that township's clerk. Things found before an organization
was designated are entered on the designation day, as a clerk would (a 补录 the history shows).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from zhengdun import history, interrupts, store
from zhengdun import ledger as ops
from zhengdun.errors import UserError
from zhengdun.model import CHAIN, Acceptance, Config, Designation, Ledger, Visit
from zhengdun.place import CONFIG_NAME
from zhengdun.resources import shipped_dir
from zhengdun.workspace import Workspace, load_config

Action = Callable[[Workspace], object]

_GROUP = {"org-add": 0, "org-set": 1, "problem": 2, "visit": 3, "accept": 4}


@dataclass
class Event:
    """One thing to record, when it is entered (``entered``) and in what order."""

    entered: date
    group: str
    key: tuple[object, ...]
    township: str
    apply: Action


def _problem_chain(slug: str, ledger: Ledger, index: int, start: date) -> list[Event]:
    problem = ledger.problems[index]
    ref = f"{slug}/{problem.id}"
    def add(ws: Workspace) -> object:
        return ops.add_problem(ws, slug, problem.title, problem.category, problem.due,
                               problem.owner, problem.source, problem.found_on, problem.measures)

    chain: list[tuple[date, Action]] = [(problem.found_on, add)]
    closures: list[tuple[date, Action]] = []
    for closure in problem.closures:
        closures.append((closure.on, functools.partial(
            _close, ref=ref, result=closure.result, on=closure.on,
            verified_by=closure.verified_by, evidence=closure.evidence)))
        if closure.reopened is not None:
            closures.append((closure.reopened.on, functools.partial(
                _reopen, ref=ref, reason=closure.reopened.reason, on=closure.reopened.on)))
    # Steps go before the first closure or reopening dated after them (same day: before a
    # closure, after a reopening), keeping the closure/reopening chain in its own order.
    ordered = list(closures)
    for step in problem.steps:
        position = len(ordered)
        for i, (day, _) in enumerate(ordered):
            is_closure = i % 2 == 0
            if day > step.on or (day == step.on and is_closure):
                position = i
                break
        ordered.insert(position, (step.on, functools.partial(
            _step, ref=ref, text=step.text, on=step.on, evidence=step.evidence)))
    chain += ordered
    events = []
    entered = start
    for n, (day, apply) in enumerate(chain):
        entered = max(entered, day)
        events.append(Event(entered, "problem", (slug, problem.id, n), ledger.township, apply))
    return events


def events_of(slug: str, ledger: Ledger) -> list[Event]:
    """Every recorded event of one ledger, as operations to replay: each round's designation
    (``org add``, then again in the next round) with its forces, then that round's records."""
    events: list[Event] = []
    registered = ledger.designations[0].on
    for n, designation in enumerate(ledger.designations):
        start = designation.on
        chain = {key: (step.on, step.doc) for key in CHAIN
                 if (step := getattr(designation, key)) is not None}
        events.append(Event(start, "org-add", (slug, n), ledger.township, functools.partial(
            _designate, name=ledger.name, township=ledger.township, kind=ledger.kind,
            designation=designation, slug=slug, chain=chain)))
        duty = designation.responsibility.to_data()
        if duty:
            events.append(Event(start, "org-set", (slug, n), ledger.township,
                                functools.partial(_set_duty, slug=slug, duty=duty)))
        view = ledger.in_round(designation.round)
        # Problems are registered in the order of their numbers (``add`` gives the next
        # number), so one found earlier than the problem before it is registered after it,
        # as a 补录.
        registered = max(registered, start)
        for problem in view.problems:
            index = ledger.problem_index(problem.id)
            chain_events = _problem_chain(slug, ledger, index, registered)
            registered = chain_events[0].entered
            events += chain_events
        for visit in view.visits:
            events.append(Event(max(start, visit.on), "visit", (slug, ledger.visits.index(visit)),
                                ledger.township, functools.partial(_visit, slug=slug,
                                                                   visit=visit)))
        for acceptance in view.acceptances:
            events.append(Event(max(start, acceptance.on), "accept",
                                (slug, ledger.acceptances.index(acceptance)), ledger.township,
                                functools.partial(_accept, slug=slug, acceptance=acceptance)))
    return events


def _designate(ws: Workspace, name: str, township: str, kind: str, designation: Designation,
               slug: str, chain: dict[str, tuple[date, str | None]]) -> object:
    return ops.org_add(ws, name, township, kind, designation.on, designation.categories, slug,
                       designation.round, chain)


def _set_duty(ws: Workspace, slug: str, duty: dict[str, object]) -> object:
    return ops.org_set(ws, slug, dict(duty))


def _close(ws: Workspace, ref: str, result: str, on: date, verified_by: str | None,
           evidence: list[str]) -> object:
    return ops.close_problem(ws, ref, result, on, verified_by, evidence)


def _reopen(ws: Workspace, ref: str, reason: str, on: date) -> object:
    return ops.reopen_problem(ws, ref, reason, on)


def _step(ws: Workspace, ref: str, text: str, on: date, evidence: list[str]) -> object:
    return ops.record_step(ws, ref, text, on, evidence)


def _visit(ws: Workspace, slug: str, visit: Visit) -> object:
    return ops.record_visit(ws, slug, visit.kind, visit.by, visit.text, visit.on, visit.evidence)


def _accept(ws: Workspace, slug: str, acceptance: Acceptance) -> object:
    return ops.record_acceptance(ws, slug, acceptance.grade, acceptance.by, acceptance.on,
                                 acceptance.score, acceptance.note)


@contextmanager
def _dated(day: date, minute: int, author: str) -> Iterator[None]:
    stamp = f"{day.isoformat()}T{9 + minute // 60:02d}:{minute % 60:02d}:00+08:00"
    values = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
              "GIT_AUTHOR_NAME": author, "GIT_COMMITTER_NAME": author,
              "GIT_AUTHOR_EMAIL": "dangjianban@example.gov.cn",
              "GIT_COMMITTER_EMAIL": "dangjianban@example.gov.cn"}
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(frozen=True)
class Demo:
    """The demo workspace and how many commits its history holds."""

    workspace: Workspace
    commits: int


def _refuse_a_used_folder(folder: Path, config_text: str, commits: int) -> None:
    """Refuse a folder with contents in the demo's own terms: init's refusals advise ``org add``
    or another name for ``init``, which misleads a clerk whose earlier demo was interrupted."""
    if not folder.is_dir() or not any(p.name != ".git" for p in folder.iterdir()):
        return
    config = folder / CONFIG_NAME
    again = (f"删除文件夹 {folder} 后重新运行 zhengdun demo {folder}，"
             "或换一个新的文件夹名运行 zhengdun demo")
    if config.is_file() and config.read_bytes() == config_text.encode("utf-8"):
        made = history.commit_count(folder.resolve())
        if made < commits:
            raise UserError(f"{folder} 中是一个没有建完的演示工作区（{commits} 次提交中只做了 {made} 次），"
                            "多半是上一次 zhengdun demo 被中断后留下的", again)
        raise UserError(f"{folder} 中已经有一个建好的演示工作区", f"直接 cd {folder} 使用它；要重建，{again}")
    raise UserError(f"文件夹 {folder} 不是空的，zhengdun demo 只在新的或空的文件夹中建立演示工作区",
                    "请换一个新的文件夹名运行 zhengdun demo，例如 zhengdun demo 演示县")


def build_demo(folder: Path, progress: Callable[[int, int], None] | None = None) -> Demo:
    """Create the demo workspace in ``folder`` and replay the shipped county into it."""
    source = shipped_dir()
    config_text = (source / CONFIG_NAME).read_text(encoding="utf-8")
    config = Config.model_validate(store.parse(config_text).data)
    ledgers: list[tuple[str, Ledger]] = []
    for path in store.iter_ledger_paths(source / "ledgers"):
        data = store.load_data(path)
        ledgers.append((path.stem, Ledger.model_validate(data)))
    if not ledgers:
        raise UserError("自带的演示数据是空的，安装可能不完整")
    events = [event for slug, ledger in ledgers for event in events_of(slug, ledger)]
    events.sort(key=lambda e: (e.entered, _GROUP[e.group], e.key))
    _refuse_a_used_folder(folder, config_text, 1 + len(events))
    first = events[0].entered
    with _dated(first, 0, f"{config.county}委组织部"):
        ops.init_workspace(folder, config.county, config.issuer, config.doc_prefix,
                           config.timezone, config_text=config_text)
    root = folder.resolve()
    loaded_config = load_config(root)
    minute_of: dict[date, int] = {}
    for done, event in enumerate(events, start=1):
        minute = minute_of.get(event.entered, 0)
        minute_of[event.entered] = minute + 1
        ws = Workspace(root, loaded_config, fixed_today=event.entered)
        with _dated(event.entered, minute, f"{event.township}党建办"):
            event.apply(ws)
        interrupts.checkpoint()
        if progress is not None:
            progress(done, len(events))
    # ``init`` and then one commit per event: every operation makes exactly one.
    return Demo(Workspace(root, loaded_config), 1 + len(events))
