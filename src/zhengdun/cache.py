"""Derived data kept in ``.git/zhengdun-cache/``: never stale, safe to delete.

Two kinds, both keyed by content so that a key can never name an answer that has changed:

- **verdicts** — "this exact ledger text passed every check": an empty-ish file named by the
  text's git blob id, inside a folder named by the code and the ``zhengdun.yaml`` text it was
  judged with (a new zhengdun or an edited config starts a new folder). It holds the latest
  date written in the file, so a verdict is only used on a day when none of its dates lies in
  the future. ``quick`` records on a ledger with a verdict without loading the models.
- **models** — a ledger text as validated: the pickled model, named by the text's blob id,
  inside a folder named by the code (and pydantic's version). Reports read every ledger; after
  one record only the changed file is parsed and validated again, the others are unpickled
  (about four times faster than parsing their YAML).
- **results** — the output of a report (``bulletin``, ``board``, ``list --json``, ``check``),
  keyed by a digest of everything the output is computed from: the code, the command and its
  options, the day, ``zhengdun.yaml``, every ledger's and template's bytes; for ``check`` also
  what git says of the files and the repository, and whether each evidence file the ledgers
  name is there (the list of those names per ledger text is kept in an **evidence** index).

Nothing here is needed: a missing, unreadable or corrupt entry is a miss, a failed write is
ignored, and ``ZHENGDUN_CACHE=off`` turns both off (the tests compare results with and without).
``zhengdun maintain`` empties the folder. Pure standard library, no pydantic.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from datetime import date
from pathlib import Path

import zhengdun

NAME = "zhengdun-cache"
SWITCH_ENV = "ZHENGDUN_CACHE"


def enabled() -> bool:
    """False when ``ZHENGDUN_CACHE=off``."""
    return os.environ.get(SWITCH_ENV, "").lower() not in ("off", "0", "no")


def blob_id(raw: bytes) -> str:
    """The id git gives these bytes as a blob (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()


def folder(root: Path) -> Path | None:
    """``.git/zhengdun-cache`` of the workspace at ``root`` (None: no ``.git`` folder)."""
    gdir = root / ".git"
    return gdir / NAME if gdir.is_dir() else None


_CODE: str | None = None


def code_tag() -> str:
    """Names this zhengdun: its version and the size and time of each of its modules, so a
    changed module (an editable install being worked on) never reuses an older answer."""
    global _CODE
    if _CODE is None:
        package = Path(zhengdun.__file__).parent
        parts = [zhengdun.__version__]
        with os.scandir(package) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    info = entry.stat()
                    parts.append(f"{entry.name}:{info.st_size}:{info.st_mtime_ns}")
        _CODE = hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]
    return _CODE


def write_entry(path: Path, data: bytes) -> None:
    """Write a cache entry whole or not at all; any failure only costs a later miss."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            temp.write_bytes(data)
            os.replace(temp, path)
        finally:
            with contextlib.suppress(OSError):
                temp.unlink()


# --------------------------------------------------------------------------- verdicts


class Verdicts:
    """Which ledger texts passed every check under this code and this ``zhengdun.yaml``."""

    def __init__(self, root: Path, config_raw: bytes) -> None:
        base = folder(root) if enabled() else None
        tag = hashlib.sha1(f"{code_tag()}:{blob_id(config_raw)}".encode()).hexdigest()[:20]
        self.dir = base / f"valid-{tag}" if base is not None else None

    def config_known(self) -> bool:
        """Whether ``zhengdun.yaml`` itself was found valid (a verdict folder exists for it)."""
        return self.dir is not None and self.dir.is_dir()

    def latest(self, blob: str) -> date | bool | None:
        """False: no verdict; else the latest date in the file (None: it holds none)."""
        if self.dir is None:
            return False
        try:
            text = (self.dir / blob).read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            return False
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            return False

    def known(self, blob: str, today: date) -> bool:
        """Whether ``blob`` passed every check and holds no date after ``today``."""
        latest = self.latest(blob)
        return latest is not False and (latest is None or latest <= today)  # type: ignore[operator]

    def remember(self, blob: str, latest: date | None) -> None:
        """Record that ``blob`` passed every check (``latest``: the latest date it holds)."""
        if self.dir is not None and self.latest(blob) != latest:
            write_entry(self.dir / blob, (latest.isoformat() if latest else "").encode("ascii"))


# --------------------------------------------------------------------------- models


def models_folder(root: Path) -> Path | None:
    """Where the validated models of this code are kept (None: cache off or no ``.git``)."""
    base = folder(root) if enabled() else None
    if base is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        pydantic = version("pydantic")
    except PackageNotFoundError:  # no metadata: keep no models rather than risk old ones
        return None
    tag = hashlib.sha1(f"{code_tag()}:{pydantic}".encode()).hexdigest()[:20]
    return base / f"models-{tag}"


def get_model(models: Path | None, blob: str) -> object | None:
    """The model validated from the text ``blob``, if kept (any failure is a miss)."""
    if models is None:
        return None
    import pickle

    try:
        model: object = pickle.loads((models / blob[:2] / blob[2:]).read_bytes())  # ours, in .git
        return model
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError,
            TypeError, ValueError):  # unreadable, truncated, from other code: a miss
        return None


def put_model(models: Path | None, blob: str, model: object) -> None:
    """Keep the model validated from the text ``blob``."""
    if models is None:
        return
    import pickle

    try:
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return  # a model that cannot be kept is only a later miss
    write_entry(models / blob[:2] / blob[2:], data)


# --------------------------------------------------------------------------- evidence


def evidence_index_path(root: Path) -> Path | None:
    """The evidence index of this code (what ``check`` read from each ledger text)."""
    base = folder(root) if enabled() else None
    return base / f"evidence-{code_tag()}" if base is not None else None


def evidence_index(root: Path) -> dict[str, list[str]]:
    """blob id → the evidence paths ``check``'s findings for that ledger text depend on, for
    the ledger texts of the last ``check`` (empty when unknown)."""
    path = evidence_index_path(root)
    if path is None:
        return {}
    try:
        index = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return index if isinstance(index, dict) else {}


def save_evidence_index(root: Path, index: dict[str, list[str]]) -> None:
    """Replace the index (``check`` saves the entries of the ledgers it has just read)."""
    path = evidence_index_path(root)
    if path is not None and evidence_index(root) != index:
        write_entry(path, marshal.dumps(index))


# --------------------------------------------------------------------------- results


class Digest:
    """A running key: everything one result is computed from, in a fixed order."""

    def __init__(self, *parts: str) -> None:
        self._hash = hashlib.sha256(code_tag().encode())
        for part in parts:
            self.add(part)

    def add(self, part: str) -> None:
        data = part.encode("utf-8", "surrogateescape")
        self._hash.update(b"%d:" % len(data) + data)

    def add_bytes(self, data: bytes) -> None:
        self._hash.update(b"%d:" % len(data))
        self._hash.update(data)

    def key(self) -> str:
        return self._hash.hexdigest()


def _result_path(root: Path, key: str) -> Path | None:
    base = folder(root) if enabled() else None
    return base / "results" / key[:2] / key[2:] if base is not None else None


def get_result(root: Path, key: str) -> tuple[str, int] | None:
    """The stored (text, exit code) for ``key``, if any."""
    path = _result_path(root, key)
    if path is None:
        return None
    try:
        text, code = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(text, str) or not isinstance(code, int):
        return None
    return text, code


def put_result(root: Path, key: str, text: str, code: int) -> None:
    """Store (text, exit code) for ``key``."""
    path = _result_path(root, key)
    if path is not None:
        write_entry(path, marshal.dumps((text, code)))


# --------------------------------------------------------------------------- audit


class AuditResults:
    """``audit``'s findings per commit (a commit id names its content and its ancestry), under
    this code and these rules (``tag``: the backfill limit and the timezone)."""

    def __init__(self, root: Path, tag: str) -> None:
        base = folder(root) if enabled() else None
        name = hashlib.sha1(f"{code_tag()}:{tag}".encode()).hexdigest()[:20]
        self.path = base / f"audit-{name}.marshal" if base is not None else None
        self.data: dict[str, list[tuple[object, ...]]] = {}
        self.dirty = False
        if self.path is not None:
            with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
                loaded = marshal.loads(self.path.read_bytes())
                if isinstance(loaded, dict):
                    self.data = loaded

    def get(self, commit: str) -> list[tuple[object, ...]] | None:
        return self.data.get(commit)

    def put(self, commit: str, rows: list[tuple[object, ...]]) -> None:
        self.data[commit] = rows
        self.dirty = True

    def save(self) -> None:
        if self.path is not None and self.dirty:
            with contextlib.suppress(ValueError):
                write_entry(self.path, marshal.dumps(self.data))
