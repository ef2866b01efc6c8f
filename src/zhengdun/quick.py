"""The program's entry point: the commands a clerk runs most, without Typer and the models.

``close``, ``step`` and ``add`` run dozens of times a day; ``bulletin``, ``board``, ``list`` and
``check`` read every ledger. Typer builds its whole command tree and converts every option
through pydantic on each start, and the models cost as much again to import, so these commands
first try a narrow path here:

- their usual command lines are parsed by a small table of their options (:data:`SPECS`,
  kept equal to the Typer commands by a test); anything else — ``--help``, a mistake, an
  option this table does not know — goes to the full CLI, which gives the usual answer;
- ``close``/``step``/``add`` on a ledger whose exact text has a verdict in the cache (it passed
  every check, see :mod:`zhengdun.cache`) check the new record against the same rules and
  append it by the same splice and commit as :mod:`zhengdun.ledger`, without loading the
  models; without a verdict, or when anything is out of the ordinary, they leave everything
  untouched and hand over to the full path, which checks the whole file;
- the reports answer from the result cache when every input is unchanged, and otherwise run
  the same command bodies (:mod:`zhengdun.commands`) as the CLI, without Typer.

``ZHENGDUN_QUICK=off`` sends every command to the full CLI (the tests compare both paths).
"""

from __future__ import annotations

import gc
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

QUICK_ENV = "ZHENGDUN_QUICK"
#: ``ZHENGDUN_QUICK_STRICT=1`` (the tests set it): an exception the fast path does not expect
#: is raised, not quietly handed to the full CLI, so that a bug here cannot hide behind the
#: slow path that answers correctly.
STRICT_ENV = "ZHENGDUN_QUICK_STRICT"


class Decline(Exception):
    """This command line is for the full CLI (nothing has been written)."""


def _expected(exc: Exception) -> None:
    """Pass over ``exc`` met on the fast path if it is one the full CLI explains (a zhengdun
    refusal, a file that cannot be read, bad text); anything else is a bug of this module:
    raised under :data:`STRICT_ENV`, else passed over (the full CLI answers, or no cache)."""
    from zhengdun.errors import ZhengdunError

    expected = isinstance(exc, Decline | ZhengdunError | OSError | UnicodeError | ValueError)
    if not expected and os.environ.get(STRICT_ENV) == "1":
        raise exc


def _declined(exc: Exception) -> Decline:
    """The :class:`Decline` for ``exc`` (see :func:`_expected`)."""
    _expected(exc)
    return Decline()


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point."""
    try:
        _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        # Ctrl-C before any command began (while the program loads): nothing was written.
        from zhengdun.boundary import interrupted

        raise SystemExit(interrupted()) from None
    except SystemExit:
        # The answer has been given: a Ctrl-C from now until the process ends changes nothing
        # (without this, one arriving during the interpreter's shutdown kills it by the signal
        # after a success was printed).
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise


def _main(args: list[str]) -> NoReturn:
    # Ctrl-C from here on is a KeyboardInterrupt that the boundary reports (until now the
    # early handler of ``zhengdun/__init__.py`` answered it).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # A command lives for a moment and builds few reference cycles, but reads up to millions
    # of small objects: the cyclic collector would walk them again and again (a third of a
    # report's time). Reference counting still frees everything as usual.
    gc.disable()
    # pydantic looks for plugins through every installed package's entry points on first use
    # (~20 ms per command); zhengdun uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ.get(QUICK_ENV, "").lower() not in ("off", "0", "no"):
        try:
            code = run(args)
        except Decline:
            pass
        else:
            raise SystemExit(code)
    from zhengdun.cli import main as full

    full(args)


# --------------------------------------------------------------------------- command lines


@dataclass(frozen=True)
class Spec:
    """The options of one command as the quick path understands them."""

    arguments: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)  # flag → name: one value
    many: dict[str, str] = field(default_factory=dict)  # flag → name: may be repeated
    flags: dict[str, str] = field(default_factory=dict)  # flag → name: no value
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # arguments after ``arguments`` that may be left out
    numbers: tuple[str, ...] = ()  # options click reads as an int: plain digits only here


SPECS: dict[str, Spec] = {
    "close": Spec(("ref",), {"--result": "result", "--on": "on", "--verified-by": "verified_by"},
                  {"--evidence": "evidence"}, required=("result",)),
    "step": Spec(("ref", "text"), {"--on": "on"}, {"--evidence": "evidence"}),
    "add": Spec(("org", "title"),
                {"--category": "category", "--due": "due", "--owner": "owner",
                 "--source": "source", "--found": "found"},
                {"--measure": "measure"}, {"--json": "as_json"},
                required=("category", "due", "owner")),
    "bulletin": Spec((), {"--month": "month", "--number": "number", "--date": "issued",
                          "--template": "template", "--format": "format", "--at": "at",
                          "--output": "output", "-o": "output", "--quarter": "quarter",
                          "--year": "year", "--township": "township", "--round": "round_name"},
                     flags={"--json": "as_json"}),
    "board": Spec((), {"--as-of": "as_of", "--format": "format", "--at": "at",
                       "--output": "output", "-o": "output", "--township": "township",
                       "--leader": "leader", "--round": "round_name"}, flags={"--json": "as_json"}),
    "list": Spec((), {"--org": "org", "--township": "township", "--category": "category",
                      "--due-within": "due_within", "--as-of": "as_of", "--at": "at",
                      "--leader": "leader", "--round": "round_name"},
                 flags={"--open": "open", "--closed": "closed", "--overdue": "overdue",
                        "--json": "as_json"}, numbers=("due_within",)),
    "check": Spec(flags={"--json": "as_json"}),
    "log": Spec(("target",), flags={"--json": "as_json"}),
    "show": Spec(("org",), {"--as-of": "as_of", "--at": "at", "--round": "round_name"},
                 flags={"--json": "as_json"}),
    "report": Spec(("name",), {"--org": "org", "--as-of": "as_of", "--at": "at",
                               "--output": "output", "-o": "output", "--format": "fmt",
                               "--round": "round_name"},
                   flags={"--json": "as_json"}, optional=("subject",)),
}


def parse(spec: Spec, words: list[str]) -> dict[str, Any]:
    """The values of ``words`` by ``spec``; :class:`Decline` for anything unusual."""
    values: dict[str, Any] = {name: None for name in spec.options.values()}
    values.update({name: [] for name in spec.many.values()})
    values.update({name: False for name in spec.flags.values()})
    arguments: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or word == "-":
            arguments.append(word)
            continue
        flag, eq, inline = word.partition("=")
        if flag in spec.flags and not eq:
            values[spec.flags[flag]] = True
            continue
        name = spec.options.get(flag) or spec.many.get(flag)
        if name is None or (eq and not flag.startswith("--")):
            raise Decline  # --help, a typing mistake, an option only the full CLI knows
        if eq:
            value = inline
        elif i < len(words):
            value = words[i]
            i += 1
        else:
            raise Decline
        if value.startswith("-") or (name in spec.numbers
                                     and not re.fullmatch(r"[0-9]{1,6}", value)):
            raise Decline
        if flag in spec.many:
            values[name].append(value)
        else:
            values[name] = value
    if not len(spec.arguments) <= len(arguments) <= len(spec.arguments) + len(spec.optional):
        raise Decline
    names = (*spec.arguments, *spec.optional)
    values.update({name: None for name in spec.optional})
    values.update(zip(names[:len(arguments)], arguments, strict=True))
    if any(values.get(name) is None for name in spec.required):
        raise Decline
    return values


def run(args: list[str]) -> int:
    """Run ``args`` here and return the exit code, or :class:`Decline`."""
    if args == ["--version"]:  # as the CLI's eager --version prints it
        from zhengdun import __version__

        sys.stdout.write(f"zhengdun {__version__}\n")
        return 0
    directory: Path | None = None
    if len(args) >= 2 and args[0] == "-C" and args[1] and not args[1].startswith("-"):
        directory, args = Path(args[1]), args[2:]
    if len(args) == 5 and args[0] == "merge-driver" and directory is None:
        # git runs the driver once for every ledger both sides changed: without Typer's start-up
        from zhengdun.boundary import guarded
        from zhengdun.merging import run_driver

        return guarded(lambda: run_driver(args[1:]))
    if not args or args[0] not in SPECS:
        raise Decline
    values = parse(SPECS[args[0]], args[1:])
    from zhengdun.boundary import guarded

    return guarded(lambda: COMMANDS[args[0]](directory, values))


# --------------------------------------------------------------------------- recording

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_REF = re.compile(r"([^/]+)/([0-9]{1,9})")


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    from zhengdun.clock import typed_date

    value = typed_date(value)
    if not _DAY.fullmatch(value):
        raise Decline
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Decline from None


def _text(value: str) -> str:
    """Text the rules accept as it is; anything doubtful is left to the full path."""
    from zhengdun.wording import is_blank

    if is_blank(value) or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise Decline
    return value


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Decline
    return value


def _day_of(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        return date.fromisoformat(value)
    raise Decline


def _digests(directory: Path | None, files: list[str]) -> dict[str, str]:
    from zhengdun import place

    return place.evidence_digests(place.find_root(directory), files)


def _evidence_in(value: Any) -> list[str]:
    """Every evidence path written anywhere in the ledger's data."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "evidence" and isinstance(item, list):
                found += [str(e) for e in item]
            else:
                found += _evidence_in(item)
    elif isinstance(value, list):
        for item in value:
            found += _evidence_in(item)
    return found


@dataclass
class _Plan:
    """One record to append, worked out on the plain data of a ledger with a verdict."""

    action: str
    ref: str
    summary: str
    said: str
    edit: Any
    expected: Any  # the plain data the file must read as afterwards
    on: date  # the record's date (the new text's verdict keeps the latest date)
    extra: dict[str, Any] = field(default_factory=dict)


#: plan(data, config, today, evidence files) → what to append; :class:`Decline` otherwise.
Planner = Callable[[dict[str, Any], dict[str, Any], date, list[str]], _Plan]


def _record(directory: Path | None, slug: str, evidence: list[str], plan: Planner,
            as_json: bool = False, ready: Callable[[dict[str, Any], date], None] | None = None,
            ) -> int:
    """The quick ``_record`` of :mod:`zhengdun.ledger`: same lock, refusals, splice, commit.

    ``ready(config, today)`` checks the command's own values, as the full path does before it
    takes the lock (so that declining leaves even git's index as it was).
    """
    from zhengdun import cache, clock, history, place, store

    try:
        root = place.find_root(directory)
        files = [place.evidence_ref(root, item) for item in evidence]
        config_doc = store.read(root / place.CONFIG_NAME, place.CONFIG_NAME)
        config = config_doc.parse().data
        if not isinstance(config, dict):
            raise Decline
        today = clock.today(str(config.get("timezone") or "Asia/Shanghai"))
        if ready is not None:
            ready(config, today)
    except Exception as exc:
        raise _declined(exc) from None
    path = root / place.LEDGERS / f"{slug}.yaml"
    rel = f"{place.LEDGERS}/{slug}.yaml"
    if not path.is_file() or (root / place.LEDGERS).is_symlink() or path.is_symlink() \
            or history.git_dir(root) is None:
        raise Decline
    with place.lock(root):
        try:
            history.preflight(root)
            watched = [rel, place.CONFIG_NAME, *files]
            states = {s.path: s for s in history.resync_index(root, history.status(root, watched))}
            if rel in states or place.CONFIG_NAME in states:
                raise Decline  # the full path names the hand edits and what to do
            if store.read(root / place.CONFIG_NAME, place.CONFIG_NAME).raw != config_doc.raw:
                raise Decline  # changed since it was read above
            verdicts = cache.Verdicts(root, config_doc.raw)
            if verdicts.dir is None:
                raise Decline
            doc = store.read(path, rel)
            latest = verdicts.latest(cache.blob_id(doc.raw))
            if latest is False:  # never checked: check it now, as check would, or hand over
                from zhengdun.check import judge

                if not judge(root, config_doc, doc):
                    raise Decline
                latest = verdicts.latest(cache.blob_id(doc.raw))
            if latest is False or (latest is not None and latest > today):  # type: ignore[operator]
                raise Decline
            data = doc.parse(keep=True).data
            if not isinstance(data, dict) or any(place.evidence_problem(root, item)
                                                 for item in _evidence_in(data)):
                raise Decline
            # 分工: a refusal is said by the full path, from the same rule
            _allowed(place.scope_refusal(root, config.get("clerks") or [],
                                         str(data.get("township"))))
            todo = plan(data, config, today, files)
            if not store.appends_in_place(doc, todo.edit):
                raise Decline
            text = store.apply_edits(doc, [todo.edit], lambda new: new == todo.expected)
        except Decline:
            raise
        except Exception as exc:
            raise _declined(exc) from None
        written = doc.encode(text)
        new_files = [p for p in files if p in states]
        commit = place.write_and_commit(
            root, path, rel, doc.raw, written,
            history.message(todo.action, todo.ref, todo.summary),
            new_files, [p for p in new_files if states[p].untracked])
        newest = todo.on if latest is None or todo.on > latest else latest  # type: ignore[operator]
        verdicts.remember(cache.blob_id(written), newest)  # type: ignore[arg-type]
    if as_json:
        from zhengdun.commands import json_text

        sys.stdout.write(json_text({"action": todo.action, "ref": todo.ref, "commit": commit,
                                    **todo.extra}))
    else:
        sys.stdout.write(f"{todo.said}（提交 {commit[:8]}）\n")
    return 0


def _problem_at(data: dict[str, Any], number: int) -> tuple[int, dict[str, Any]]:
    for index, problem in enumerate(_list(data, "problems")):
        if isinstance(problem, dict) and problem.get("id") == number:
            return index, problem
    raise Decline


def _allowed(refusal: Any) -> None:
    """A precondition of :mod:`zhengdun.rules` refused: the full path says it (the rules are
    the same ones; only the full path words the refusal with everything it knows)."""
    if refusal is not None:
        raise Decline


def _step_days(problem: dict[str, Any]) -> list[date]:
    steps = _list(problem, "steps")
    if not all(isinstance(s, dict) for s in steps):
        raise Decline
    return [_day_of(s.get("on")) for s in steps]


def _not_after_today(on: date | None, what: str) -> Callable[[dict[str, Any], date], None]:
    """The check of ``--on`` made before the lock, as the full path makes it first."""
    from zhengdun import rules

    def ready(config: dict[str, Any], today: date) -> None:
        if on is not None:
            _allowed(rules.not_in_future(on, today, what))

    return ready


def _appended(data: dict[str, Any], index: int, key: str, item: dict[str, Any]) -> Any:
    """The plain data the file must read as after appending ``item``."""
    plain = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in item.items()}
    problems = list(data["problems"])
    problem = dict(problems[index])
    problem[key] = [*_list(problem, key), plain]
    problems[index] = problem
    return {**data, "problems": problems}


def _ref(value: str) -> tuple[str, int]:
    from zhengdun.place import SLUG_RE

    match = _REF.fullmatch(value.strip())
    if not match or not SLUG_RE.fullmatch(match[1]):
        raise Decline
    return match[1], int(match[2])


def _close(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import store

    slug, number = _ref(values["ref"])
    result = _text(values["result"])
    verified_by = values["verified_by"]
    if verified_by is not None:
        _text(verified_by)
    on = _day(values["on"])

    def plan(data: dict[str, Any], config: dict[str, Any], today: date,
             files: list[str]) -> _Plan:
        from zhengdun import rules

        day = on or today
        index, problem = _problem_at(data, number)
        closures = _list(problem, "closures")
        last = closures[-1] if closures else None
        if last is not None and not isinstance(last, dict):
            raise Decline
        reopened = last.get("reopened") if last is not None else None
        if reopened is not None and not isinstance(reopened, dict):
            raise Decline
        _allowed(rules.close_refusal(
            f"{slug}/{number}", day, _day_of(problem.get("found_on")), _step_days(problem),
            _day_of(last.get("on")) if last is not None and reopened is None else None,
            _day_of(reopened.get("on")) if reopened is not None else None, result=result))
        item: dict[str, Any] = {"on": day, "result": result}
        if verified_by is not None:
            item["verified_by"] = verified_by
        if files:
            item["evidence"] = files
            item["evidence_sha256"] = _digests(directory, files)
        ref = f"{slug}/{number}"
        return _Plan("close", ref, result, f"{ref} 已销号（{day}）",
                     store.Append(("problems", index), "closures", item, [item]),
                     _appended(data, index, "closures", item), day)

    return _record(directory, slug, values["evidence"], plan,
                   ready=_not_after_today(on, "销号日期"))


def _step(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import store

    slug, number = _ref(values["ref"])
    text = _text(values["text"])
    on = _day(values["on"])

    def plan(data: dict[str, Any], config: dict[str, Any], today: date,
             files: list[str]) -> _Plan:
        from zhengdun import rules

        day = on or today
        index, problem = _problem_at(data, number)
        _allowed(rules.step_refusal(day, _day_of(problem.get("found_on")), _step_days(problem),
                                    text=text))
        item: dict[str, Any] = {"on": day, "text": text}
        if files:
            item["evidence"] = files
            item["evidence_sha256"] = _digests(directory, files)
        ref = f"{slug}/{number}"
        return _Plan("step", ref, text, f"已记录 {ref} 的整改进展（{day}）",
                     store.Append(("problems", index), "steps", item, [item]),
                     _appended(data, index, "steps", item), day)

    return _record(directory, slug, values["evidence"], plan,
                   ready=_not_after_today(on, "进展日期"))


def _add(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import store
    from zhengdun.place import SLUG_RE

    org = values["org"].strip()
    if not SLUG_RE.fullmatch(org):
        raise Decline  # a name or a prefix: the full path resolves it
    from zhengdun.wording import typed_name

    title = _text(values["title"])
    owner = _text(typed_name(values["owner"]))
    measures = [_text(m) for m in values["measure"]]
    category, source = values["category"], values["source"]
    due = _day(values["due"])
    found = _day(values["found"])

    from zhengdun import rules

    def ready(config: dict[str, Any], today: date) -> None:
        catalog = config.get("categories")
        if not isinstance(catalog, dict) or category not in {str(k) for k in catalog}:
            raise Decline
        sources = config.get("sources")
        if source is not None and (not isinstance(sources, list) or source not in sources):
            raise Decline  # (a config without sources uses the defaults: the full path knows)
        found_on = found or today
        if due is None:
            raise Decline
        _allowed(rules.not_in_future(found_on, today, "发现日期"))
        _allowed(rules.add_refusal(found_on, due, title=title))

    def plan(data: dict[str, Any], config: dict[str, Any], today: date,
             files: list[str]) -> _Plan:
        ready(config, today)
        found_on = found or today
        problems = _list(data, "problems")
        designations = _list(data, "designations")
        current = designations[-1] if designations else None
        if data.get("schema_version") != 2 or not isinstance(current, dict) or not (
                isinstance(current.get("round"), str) and current["round"]):
            raise Decline  # the full path reads (or refuses) it
        round_name = current["round"]
        for accepted in _list(data, "acceptances"):
            # 合格 on or after the day the problem is found, with the problem open: refused
            if not isinstance(accepted, dict) or (accepted.get("grade") == "合格"
                                                  and _day_of(accepted.get("on")) >= found_on):
                raise Decline
        ids = [p.get("id") if isinstance(p, dict) else None for p in problems]
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise Decline
        number = max((int(i) for i in ids if i is not None), default=0) + 1
        item: dict[str, Any] = {"id": number, "round": round_name, "title": title,
                                "category": category}
        if source is not None:
            item["source"] = source
        item.update({"found_on": found_on, "due": due, "owner": owner})
        if measures:
            item["measures"] = measures
        plain = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in item.items()}
        ref = f"{org}/{number}"
        return _Plan("add", ref, title, f"已登记问题 {ref}",
                     store.Append((), "problems", item, [item]),
                     {**data, "problems": [*problems, plain]}, found_on, {"ref": ref})

    return _record(directory, org, [], plan, values["as_json"], ready)


# --------------------------------------------------------------------------- reports


def _folder_bytes(digest: Any, folder: Path) -> None:
    """Every file of ``folder`` (templates: a few small files), by name and bytes."""
    if not folder.is_dir():
        digest.add("-")
        return
    if folder.is_symlink():
        raise ValueError(folder)
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            raise ValueError(path)  # a linked file or folder: its content may live anywhere
        if path.is_file():
            digest.add(path.relative_to(folder).as_posix())
            digest.add_bytes(path.read_bytes())


def _zone(root: Path, config_raw: bytes) -> str | None:
    """The workspace timezone as the YAML parser reads ``zhengdun.yaml`` (kept per config text
    in the cache, so that an answer from the cache needs no YAML library); None: not known."""
    from zhengdun import cache

    base = cache.folder(root)
    if base is None:
        return None
    entry = base / f"zone-{cache.blob_id(config_raw)}"
    try:
        return entry.read_text(encoding="utf-8") or None
    except (OSError, ValueError):
        return None


def _learn_zone(root: Path, config_raw: bytes) -> str | None:
    """Read the timezone with the YAML parser and keep it for :func:`_zone`."""
    from zhengdun import cache, store

    base = cache.folder(root) if cache.enabled() else None
    if base is None:
        return None
    try:
        data = store.parse(store.decode(config_raw, "zhengdun.yaml")[0]).data
    except Exception as exc:
        _expected(exc)
        return None
    zone = data.get("timezone", "Asia/Shanghai") if isinstance(data, dict) else None
    if not isinstance(zone, str) or not zone:
        return None
    cache.write_entry(base / f"zone-{cache.blob_id(config_raw)}", zone.encode("utf-8"))
    return zone


def _ledger_files(root: Path) -> list[Path]:
    """The ledger files the reports read (``store.iter_ledger_paths``), or ValueError when
    the full read would refuse one and say why."""
    from zhengdun import place

    ledgers = root / place.LEDGERS
    if ledgers.is_symlink():
        raise ValueError(ledgers)
    if not ledgers.is_dir():
        return []
    paths = sorted(p for p in ledgers.iterdir()
                   if p.suffix == ".yaml" and not p.name.startswith("."))
    if any(p.is_symlink() or not p.is_file() for p in paths):
        raise ValueError(ledgers)
    return paths


def _result_key(root: Path, *parts: str, only: str | None = None) -> str | None:
    """The digest of everything a report is computed from; None when it cannot be told.

    ``only``: the report reads just this organization's ledger (no other file is hashed).
    """
    from zhengdun import cache, clock, place, resources

    if not cache.enabled() or cache.folder(root) is None:
        return None
    try:
        config_raw = (root / place.CONFIG_NAME).read_bytes()
        zone = _zone(root, config_raw) or _learn_zone(root, config_raw)
        if zone is None:
            return None
        today = clock.today(zone)
        digest = cache.Digest(*parts, today.isoformat())
        digest.add_bytes(config_raw)
        if only and (root / place.LEDGERS).is_symlink():
            return None  # the full read refuses a linked folder and says why
        paths = [root / place.LEDGERS / f"{only}.yaml"] if only else _ledger_files(root)
        for path in paths:
            digest.add(path.name)
            digest.add_bytes(path.read_bytes())
        _folder_bytes(digest, root / place.TEMPLATES)
        _folder_bytes(digest, root / "notes")  # 下步工作要求 of a month (reports.NOTES_DIR)
        _folder_bytes(digest, resources.shipped_templates())
    except Exception as exc:
        _expected(exc)
        return None
    return digest.key()


def _exact_slug(root: Path, text: str | None) -> str | None:
    """``text`` when it is the slug of an existing ledger (then nothing else is read to
    resolve it); None for a name, a prefix or anything else."""
    from zhengdun import place

    if text is None or not place.SLUG_RE.fullmatch(text.strip()):
        return None
    path = root / place.LEDGERS / f"{text.strip()}.yaml"
    return text.strip() if path.is_file() and not path.is_symlink() else None


def _opt(value: str | None) -> str:
    """An option's value in a key: an option not given differs from any text typed."""
    return "\0" if value is None else f"={value}"


def _answer(directory: Path | None, parts: tuple[str, ...], target: Path | None, what: str,
            compute: Callable[[], Any], only: Callable[[Path], str | None] | None = None) -> int:
    """A report from the result cache, or computed (and then kept for the next time)."""
    from zhengdun.commands import Output, emit

    out = _cached(directory, parts, compute, only)
    return emit(Output(out.text, target, what, out.code, out.paged))


def _cached(directory: Path | None, parts: tuple[str, ...], compute: Callable[[], Any],
            only: Callable[[Path], str | None] | None = None) -> Any:
    """The :class:`~zhengdun.commands.Output` of a report: from the result cache when every
    input is unchanged, else computed (and kept when nothing moved while it ran)."""
    from zhengdun import cache, place
    from zhengdun.commands import Output

    try:
        root = place.find_root(directory)
    except Exception as exc:
        raise _declined(exc) from None
    key = _result_key(root, *parts, only=only(root) if only else None)
    if key is not None:
        found = cache.get_result(root, key)
        if found is not None:
            return Output(found[0], code=found[1])
    out = compute()
    if not isinstance(out, Output):
        raise TypeError(out)
    # kept only if every input is still what it was before: nothing moved while it ran
    if key is not None and out.code == 0 \
            and _result_key(root, *parts, only=only(root) if only else None) == key:
        cache.put_result(root, key, out.text, out.code)
    return out


def _on_screen(out: Any, draw: Callable[[dict[str, Any]], None]) -> int:
    """A screen table drawn from the JSON view's result: the table and ``--json`` are two
    views of one cached result (``screen`` lays the table out for the terminal at hand)."""
    import json

    draw(json.loads(out.text))
    return 0


def _bulletin(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import commands

    if values["format"] not in (None, "md"):
        raise Decline  # a Word document (or a mistake): the full CLI writes it or explains
    output = Path(values["output"]) if values["output"] is not None else None
    template = values["template"]
    as_json = values["as_json"]
    periods = (values["month"], values["quarter"], values["year"], values["township"])

    def compute() -> Any:
        return commands.bulletin(directory, values["month"], values["number"], values["issued"],
                                 template, values["at"], output, as_json, *periods[1:],
                                 values["round_name"])

    if values["at"] is not None:
        return commands.emit(compute())
    if template is not None and ("/" in template or "\\" in template
                                 or template.startswith(".")):
        return commands.emit(compute())  # a template file elsewhere: not among the inputs hashed
    parts = ("bulletin", *map(_opt, periods), _opt(values["number"]), _opt(values["issued"]),
             _opt(template), str(as_json), _opt(values["round_name"]))
    what = ("月度通报" if values["month"] is not None
            else "季度总结" if values["quarter"] is not None else "年度总结")
    return _answer(directory, parts, None if as_json else output, what, compute)


def _board(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import commands

    fmt = values["format"] if values["format"] is not None else "table"
    output = Path(values["output"]) if values["output"] is not None else None
    scope = (values["township"], values["leader"])
    if fmt == "table" and not values["as_json"]:
        if output is not None or values["at"] is not None:
            raise Decline  # the full CLI explains, or reads the past
        from zhengdun.console import print_board

        def compute_json() -> Any:
            return commands.board(directory, values["as_of"], fmt, None, None, True, *scope,
                                  values["round_name"])

        parts = ("board", _opt(values["as_of"]), _opt(fmt), "True",  # the --json view's key
                 *map(_opt, scope), _opt(values["round_name"]))
        return _on_screen(_cached(directory, parts, compute_json), print_board)

    def compute() -> Any:
        return commands.board(directory, values["as_of"], fmt, values["at"], output,
                              values["as_json"], *scope, values["round_name"])

    if values["at"] is not None:
        return commands.emit(compute())
    parts = ("board", _opt(values["as_of"]), _opt(fmt), str(values["as_json"]),
             *map(_opt, scope), _opt(values["round_name"]))
    return _answer(directory, parts, output, "挂图作战表", compute)


def _problems(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import commands

    within = values["due_within"]  # digits (parse)
    status = [flag for flag in ("open", "closed", "overdue") if values[flag]]
    options = [values["org"], values["township"], values["category"], values["leader"]]

    def compute() -> Any:
        data = commands.problems(directory, options[0], options[1], options[2], status,
                                 int(within) if within is not None else None,
                                 values["as_of"], values["at"], options[3], values["round_name"])
        return commands.Output(commands.json_text(data))

    if values["at"] is not None:
        return commands.emit(compute())
    parts = ("list", *map(_opt, options), ",".join(status), _opt(within), _opt(values["as_of"]),
             _opt(values["round_name"]))

    def only(root: Path) -> str | None:  # one organization (no --township): its file alone
        return _exact_slug(root, options[0]) if options[1] is None and options[3] is None \
            else None

    if not values["as_json"]:
        from zhengdun.console import print_problems

        return _on_screen(_cached(directory, parts, compute, only), print_problems)
    return _answer(directory, parts, None, "", compute, only)


def _show(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import commands

    if not values["as_json"]:
        raise Decline  # the screen view is drawn by rich: the full CLI
    org, as_of, at = values["org"], values["as_of"], values["at"]

    def compute() -> Any:
        return commands.Output(commands.json_text(commands.show(directory, org, as_of, at,
                                                                values["round_name"])))

    def only(root: Path) -> str | None:
        return _exact_slug(root, org)

    if at is not None:
        return commands.emit(compute())
    return _answer(directory, ("show", _opt(org), _opt(as_of), _opt(values["round_name"])), None, "",
                   compute, only)


def _report(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import commands

    name, subject, org = values["name"], values["subject"], values["org"]
    output = Path(values["output"]) if values["output"] is not None else None
    fmt = values["fmt"] if values["fmt"] is not None else "md"

    def compute() -> Any:
        return commands.report(directory, name, subject, org, values["as_of"], values["at"],
                               output, values["as_json"], fmt, values["round_name"])

    if values["at"] is not None or fmt != "md" or "/" in name or "\\" in name \
            or name.startswith("."):
        return commands.emit(compute())  # the past, a Word file, or a template outside the inputs

    def only(root: Path) -> str | None:  # 一村一档: its file alone
        return _exact_slug(root, org) if name not in commands.REPORTS else None

    parts = ("report", _opt(name), _opt(subject), _opt(org), _opt(values["as_of"]),
             _opt(values["round_name"]), str(values["as_json"]))
    return _answer(directory, parts, None if values["as_json"] else output, "报告", compute, only)


def _log(directory: Path | None, values: dict[str, Any]) -> int:
    """``log``: kept per HEAD commit (the history it reads cannot change under a commit id)."""
    from zhengdun import cache, commands, history, place

    target, as_json = values["target"], values["as_json"]
    try:
        root = place.find_root(directory)
    except Exception as exc:
        raise _declined(exc) from None
    key = None
    slug = _exact_slug(root, target.strip().split("/", 1)[0])
    try:  # before git log starts: a commit landing meanwhile then shows as a moved HEAD
        head = history.head_commit(root) if slug is not None else ""
        config_raw = (root / place.CONFIG_NAME).read_bytes()
    except Exception as exc:
        _expected(exc)
        head = ""
    if slug is not None:  # git reads the history while the models load
        history.prefetch_log(root, [f"{place.LEDGERS}/{slug}.yaml"])
    # Only for a slug naming its ledger file: a name or a prefix is resolved among the files.
    if slug is not None and len(head) == 40 and cache.enabled() \
            and cache.folder(root) is not None:
        digest = cache.Digest("log", target, str(as_json), head)
        digest.add_bytes(config_raw)
        key = digest.key()
        found = cache.get_result(root, key)
        if found is not None:
            return commands.emit(commands.Output(found[0], code=found[1]))
    out = commands.log(directory, target, as_json)
    if key is not None and history.head_commit(root) == head:
        cache.put_result(root, key, out.text, out.code)
    return commands.emit(out)


def _check(directory: Path | None, values: dict[str, Any]) -> int:
    from zhengdun import cache, commands, place

    as_json = values["as_json"]
    try:
        root = place.find_root(directory)
    except Exception as exc:
        raise _declined(exc) from None
    before = _check_key(root, as_json)
    if before is not None and before[1] is not None:
        found = cache.get_result(root, before[1])
        if found is not None:
            return commands.emit(commands.Output(found[0], code=found[1]))
    out = commands.check(directory, as_json)
    after = _check_key(root, as_json)
    # kept only if every input (evidence files included) is what it was before check ran;
    # the first check of these texts tells which evidence files they name: kept next time
    if before is not None and before[1] is not None and after == before:
        cache.put_result(root, before[1], out.text, out.code)
    return commands.emit(out)


def _check_key(root: Path, as_json: bool) -> tuple[str, str | None] | None:
    """What ``check``'s answer depends on: the files (as for the reports) and what git says of
    them and of the repository; then also whether each evidence file the ledgers name is
    there. Returns (the first, the whole key — None while a ledger text was never checked)."""
    from zhengdun import cache, history, housekeeping, place

    key = _result_key(root, "check", str(as_json))
    if key is None or history.git_dir(root) is None:
        return None
    digest = cache.Digest(key)
    evidence = cache.Digest()
    known = True
    try:
        ledgers = root / place.LEDGERS
        for entry in sorted(os.listdir(ledgers)) if ledgers.is_dir() else []:
            digest.add(entry)  # check also warns about *.yml files
        for state in history.status(root, [place.CONFIG_NAME, place.LEDGERS]):
            digest.add(f"{state.code} {state.path}")
        try:
            history.preflight(root)
        except Exception as exc:
            _expected(exc)
            digest.add(str(exc))
        digest.add("|".join(housekeeping.reasons(root)))
        index = cache.evidence_index(root)
        for path in _ledger_files(root):
            refs = index.get(cache.blob_id(path.read_bytes()))
            if refs is None:
                known = False  # this text was never checked
                break
            for ref in refs:
                evidence.add(ref)
                evidence.add(str(place.evidence_problem(root, ref)))
    except Exception as exc:
        _expected(exc)
        return None
    base = digest.key()
    return base, (cache.Digest(base, evidence.key()).key() if known else None)


COMMANDS: dict[str, Callable[[Path | None, dict[str, Any]], int]] = {
    "close": _close,
    "step": _step,
    "add": _add,
    "bulletin": _bulletin,
    "board": _board,
    "list": _problems,
    "check": _check,
    "log": _log,
    "show": _show,
    "report": _report,
}
