"""No sequence of valid commands loses a recorded event, or leaves git or the files unclean.

A Hypothesis state machine runs random commands (org add, add, step, close, reopen, visit,
accept, org set) with valid dates in order and hostile text, each example in a fresh workspace
with real git. It keeps its own model of everything recorded and, after every command, checks:
exit 0, exactly one new commit, a clean working tree, ``zhengdun check`` passing, and every
ledger file holding exactly the recorded data (read back with two YAML readers).
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from ruamel.yaml import YAML

from conftest import Run, git
from zhengdun import store
from zhengdun.wording import is_blank, name_key, typed_name

TODAY = date(2026, 11, 21)
START = date(2026, 1, 1)

TOKENS = [
    "整改", "村务公开", "党群服务中心", "，", "：", "；", "“", "”", "【", "】", "😀", "🇨🇳",
    "no", "on", "yes", "off", "y", "~", "null", "010", "0o10", "1:20", "1_000", ".inf",
    "- x", "#x", "&a", "*a", "!!python/object", "{a: 1}", "[a]", "a: b", "a #b", '"q"', "'q'",
    " ", "\t", "\n", "\u2028", "\u200f", "\x85", "2026-04-02", "|", ">", "%", "@", "`", "\\",
    "--", "-", "\r\n",
]
TEXT = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=4).map("".join).filter(
    lambda s: not is_blank(s))
NAME = TEXT.filter(lambda s: bool(name_key(s)))
CATEGORIES = [str(n) for n in range(1, 11)]
SOURCES = ["排查发现", "群众反映", "督查发现", "巡察反馈", "信访举报", "上级交办", "自查自纠"]
RUAMEL = YAML(typ="safe")


def day_between(low: date, high: date) -> st.SearchStrategy[date]:
    return st.dates(min_value=low, max_value=high)


class Ledgers(RuleBasedStateMachine):
    """The workspace under test and a model of what it must hold."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="zhengdun-prop-"))
        self.root = self.tmp / "台账"
        result = Run(self.tmp)("init", str(self.root), "--county", "示范县", "--issuer", "组织部")
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        self.run = Run(self.root)
        self.commits = self.count_commits()
        self.orgs: dict[str, dict[str, Any]] = {}

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------------ helpers

    def count_commits(self) -> int:
        return int(git(self.root, "rev-list", "--count", "HEAD"))

    def do(self, *args: str) -> str:
        result: Any = self.run(*args)
        assert result.exit_code == 0, (args, result.output)
        self.commits += 1
        assert self.count_commits() == self.commits, args
        return str(result.stdout)

    @staticmethod
    def last_event(problem: dict[str, Any]) -> date:
        days = [problem["found_on"]] + [s["on"] for s in problem.get("steps", [])]
        for closure in problem.get("closures", []):
            days.append(closure["on"])
            if "reopened" in closure:
                days.append(closure["reopened"]["on"])
        return max(days)

    @staticmethod
    def state(problem: dict[str, Any]) -> str:
        closures = problem.get("closures", [])
        if not closures:
            return "open"
        return "reopened" if "reopened" in closures[-1] else "closed"

    def last_qualified(self, org: dict[str, Any]) -> date | None:
        days = [a["on"] for a in org.get("acceptances", []) if a["grade"] == "合格"]
        return max(days) if days else None

    def problems_where(self, test: Any) -> list[tuple[str, int]]:
        return [(slug, p["id"]) for slug, org in sorted(self.orgs.items())
                for p in org.get("problems", []) if test(p, org)]

    def problem(self, slug: str, pid: int) -> dict[str, Any]:
        return next(p for p in self.orgs[slug]["problems"] if p["id"] == pid)

    # ------------------------------------------------------------------ commands

    @initialize(data=st.data())
    def first_org_and_problem(self, data: st.DataObject) -> None:
        """Every example starts with one organization and one problem, so that most steps
        record events on problems (the part most likely to lose something)."""
        assert git(self.root, "status", "--porcelain") == ""
        self.org_add(data)
        self.tree_is_clean_and_checks()
        self.add(data)

    @precondition(lambda self: len(self.orgs) < 3)
    @rule(data=st.data())
    def org_add(self, data: st.DataObject) -> None:
        slug = f"o{len(self.orgs) + 1}"
        # names are recorded as typed_name keeps them, and compared by name_key (wording)
        name = data.draw(NAME.filter(lambda s: all(name_key(s) != o["name"]
                                                   for o in self.orgs.values())), label="name")
        township = data.draw(NAME, label="township")
        kind = data.draw(st.sampled_from(["村", "社区"]))
        designated = data.draw(day_between(START, TODAY), label="designated")
        categories = data.draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3,
                                        unique=True))
        args = ["org", "add", f"--township={township}", f"--kind={kind}",
                f"--designated={designated}", f"--slug={slug}"]
        args += [f"--category={c}" for c in categories]
        self.do(*args, "--", name)
        self.orgs[slug] = {"schema_version": 1, "name": typed_name(name), "kind": kind,
                           "township": typed_name(township), "designated_on": designated,
                           "categories": categories, "responsibility": {}}

    @precondition(lambda self: self.orgs)
    @rule(data=st.data())
    def org_set(self, data: st.DataObject) -> None:
        slug = data.draw(st.sampled_from(sorted(self.orgs)), label="org")
        org = self.orgs[slug]
        fields = data.draw(st.lists(st.sampled_from(
            ["county_leader", "township_lead", "branch_secretary", "first_secretary",
             "work_team", "paired_units", "township"]), min_size=1, max_size=3, unique=True))
        args = ["org", "set"]
        for field in fields:
            # a value equal to the one recorded is no change, and refused as such
            if field == "paired_units":
                old = org["responsibility"].get("paired_units")
                units = data.draw(st.lists(TEXT, min_size=1, max_size=2, unique=True).filter(
                    lambda new, old=old: new != old))
                args += [f"--paired-unit={u}" for u in units]
                org["responsibility"]["paired_units"] = units
            else:
                if field == "township":
                    old = org["township"]
                    value = data.draw(NAME.filter(lambda new, old=old: typed_name(new) != old),
                                      label=field)
                else:
                    old = org["responsibility"].get(field)
                    value = data.draw(TEXT.filter(lambda new, old=old: new != old), label=field)
                args.append(f"--{field.replace('_', '-')}={value}")
                if field == "township":
                    org["township"] = typed_name(value)
                else:
                    org["responsibility"][field] = value
        self.do(*args, "--", slug)

    @precondition(lambda self: any(
        (self.last_qualified(o) or START - timedelta(days=1)) < TODAY for o in self.orgs.values()))
    @rule(data=st.data())
    def add(self, data: st.DataObject) -> None:
        choices = [s for s, o in sorted(self.orgs.items())
                   if (self.last_qualified(o) or START - timedelta(days=1)) < TODAY]
        slug = data.draw(st.sampled_from(choices), label="org")
        org = self.orgs[slug]
        earliest = max(START, (self.last_qualified(org) or START - timedelta(days=1))
                       + timedelta(days=1))
        found = data.draw(day_between(earliest, TODAY), label="found")
        due = data.draw(day_between(found, found + timedelta(days=200)), label="due")
        title = data.draw(TEXT, label="title")
        owner = data.draw(NAME, label="owner")
        category = data.draw(st.sampled_from(CATEGORIES))
        source = data.draw(st.none() | st.sampled_from(SOURCES))
        measures = data.draw(st.lists(TEXT, max_size=2))
        pid = max((p["id"] for p in org.get("problems", [])), default=0) + 1
        args = ["add", f"--category={category}", f"--due={due}", f"--owner={owner}",
                f"--found={found}"]
        if source:
            args.append(f"--source={source}")
        args += [f"--measure={m}" for m in measures]
        out = self.do(*args, "--", slug, title)
        assert f"{slug}/{pid}" in out
        problem: dict[str, Any] = {"id": pid, "title": title, "category": category}
        if source:
            problem["source"] = source
        problem.update({"found_on": found, "due": due, "owner": typed_name(owner)})
        if measures:
            problem["measures"] = measures
        org.setdefault("problems", []).append(problem)

    def not_closed(self) -> list[tuple[str, int]]:
        return self.problems_where(lambda problem, org: self.state(problem) != "closed")

    @precondition(lambda self: self.not_closed())
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        slug, pid = data.draw(st.sampled_from(self.not_closed()), label="problem")
        problem = self.problem(slug, pid)
        on = data.draw(day_between(self.last_event(problem), TODAY), label="on")
        text = data.draw(TEXT, label="text")
        self.do("step", f"--on={on}", "--", f"{slug}/{pid}", text)
        problem.setdefault("steps", []).append({"on": on, "text": text})

    @precondition(lambda self: self.not_closed())
    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        slug, pid = data.draw(st.sampled_from(self.not_closed()), label="problem")
        problem = self.problem(slug, pid)
        on = data.draw(day_between(self.last_event(problem), TODAY), label="on")
        result = data.draw(TEXT, label="result")
        verified_by = data.draw(st.none() | TEXT, label="verified_by")
        args = ["close", f"--on={on}", f"--result={result}"]
        if verified_by is not None:
            args.append(f"--verified-by={verified_by}")
        self.do(*args, "--", f"{slug}/{pid}")
        closure: dict[str, Any] = {"on": on, "result": result}
        if verified_by is not None:
            closure["verified_by"] = verified_by
        problem.setdefault("closures", []).append(closure)

    def reopenable(self) -> list[tuple[str, int]]:
        def ok(problem: dict[str, Any], org: dict[str, Any]) -> bool:
            return self.state(problem) == "closed" and self.reopen_from(problem, org) <= TODAY
        return self.problems_where(ok)

    def reopen_from(self, problem: dict[str, Any], org: dict[str, Any]) -> date:
        qualified = self.last_qualified(org)
        earliest = self.last_event(problem)
        if qualified is not None:  # a 合格 acceptance needs the problem closed on its day
            earliest = max(earliest, qualified + timedelta(days=1))
        return earliest

    @precondition(lambda self: self.reopenable())
    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        slug, pid = data.draw(st.sampled_from(self.reopenable()), label="problem")
        problem = self.problem(slug, pid)
        on = data.draw(day_between(self.reopen_from(problem, self.orgs[slug]), TODAY),
                       label="on")
        reason = data.draw(TEXT, label="reason")
        self.do("reopen", f"--on={on}", f"--reason={reason}", "--", f"{slug}/{pid}")
        problem["closures"][-1]["reopened"] = {"on": on, "reason": reason}

    @precondition(lambda self: self.orgs)
    @rule(data=st.data())
    def visit(self, data: st.DataObject) -> None:
        slug = data.draw(st.sampled_from(sorted(self.orgs)), label="org")
        on = data.draw(day_between(START, TODAY), label="on")
        kind = data.draw(st.sampled_from(["督查", "调度", "约谈", "回头看"]))
        by = data.draw(TEXT, label="by")
        text = data.draw(TEXT, label="text")
        self.do("visit", f"--kind={kind}", f"--by={by}", f"--on={on}", "--", slug, text)
        self.orgs[slug].setdefault("visits", []).append(
            {"on": on, "kind": kind, "by": by, "text": text})

    @precondition(lambda self: self.orgs)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        slug = data.draw(st.sampled_from(sorted(self.orgs)), label="org")
        org = self.orgs[slug]
        earliest = max([org["designated_on"]] + [self.last_event(p)
                                                 for p in org.get("problems", [])])
        on = data.draw(day_between(earliest, TODAY), label="on")
        all_closed = all(self.state(p) == "closed" for p in org.get("problems", []))
        grade = data.draw(st.sampled_from(["合格", "基本合格", "不合格"] if all_closed
                                          else ["基本合格", "不合格"]))
        by = data.draw(TEXT, label="by")
        score = data.draw(st.none() | st.integers(0, 200).map(lambda n: n / 2))
        note = data.draw(st.none() | TEXT, label="note")
        args = ["accept", f"--grade={grade}", f"--by={by}", f"--on={on}"]
        if score is not None:
            args.append(f"--score={score}")
        if note is not None:
            args.append(f"--note={note}")
        self.do(*args, "--", slug)
        acceptance: dict[str, Any] = {"on": on, "by": by, "grade": grade}
        if score is not None:
            acceptance["score"] = score
        if note is not None:
            acceptance["note"] = note
        org.setdefault("acceptances", []).append(acceptance)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def tree_is_clean_and_checks(self) -> None:
        assert git(self.root, "status", "--porcelain") == ""
        result: Any = self.run("check")
        assert result.exit_code == 0, result.output

    @invariant()
    def every_event_is_in_the_file_exactly(self) -> None:
        for slug, org in self.orgs.items():
            path = self.root / "ledgers" / f"{slug}.yaml"
            text = path.read_text(encoding="utf-8")
            assert store.parse(text).data == textual(in_the_file(org)), slug
            ruamel = RUAMEL.load(text)
            for want, got in zip(org.get("problems", []), ruamel.get("problems", []),
                                 strict=True):
                assert got["title"] == want["title"]
                assert [s["text"] for s in got.get("steps", [])] == \
                    [s["text"] for s in want.get("steps", [])]
                assert [c["result"] for c in got.get("closures", [])] == \
                    [c["result"] for c in want.get("closures", [])]


def in_the_file(org: dict[str, Any]) -> dict[str, Any]:
    """The model (one designation at the top, as the state machine keeps it) as schema v2
    writes it: the designation of round 2026 (the round of ``zhengdun init``), every problem,
    visit and acceptance tagged with it."""
    out = {k: v for k, v in org.items()
           if k not in ("designated_on", "categories", "responsibility")}
    out["schema_version"] = 2
    out["designations"] = [{"round": "2026", "on": org["designated_on"],
                            "categories": org["categories"],
                            "responsibility": org["responsibility"]}]
    for key in ("problems", "visits", "acceptances"):
        if key in org:
            out[key] = [{**item, "round": "2026"} for item in org[key]]
    return out


def textual(value: Any) -> Any:
    """The model as our reader gives it back: dates as text, empty maps left out."""
    if isinstance(value, dict):
        return {k: textual(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [textual(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def test_no_sequence_of_commands_loses_an_event() -> None:
    run_state_machine_as_test(Ledgers, settings=settings(
        max_examples=20, stateful_step_count=7, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
