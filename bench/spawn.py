"""The process that starts every timed command for ``bench/run.py``, and reports on it.

Why a separate, lean process: on Linux a child's ``ru_maxrss`` starts from the memory of the
process that forked it (``exec`` records the old address space's high-water mark), so a
command started by the benchmark itself — which has pydantic and zhengdun's generator loaded —
would report at least the benchmark's own ~40 MB. This process imports only the standard
library and forks (not vforks), so a command's peak is its own, give or take ~2 MB.

Protocol, one JSON object per line: in ``{"argv": [...], "cwd": "...", "stderr": "path"}``;
out ``{"ms": wall milliseconds, "rss_kb": ru_maxrss, "code": exit code}``. Wall time runs from
just before ``Popen`` to just after ``os.wait4``. The environment is this process's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

# fork, not vfork: a vfork'd child's exec would record this process's whole RSS as its peak.
setattr(subprocess, "_USE_VFORK", False)  # noqa: B010  (a private switch, Python ≥ 3.11)


def run(argv: list[str], cwd: str, stderr_path: str) -> dict[str, float | int | str]:
    with open(stderr_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        ms = (time.perf_counter() - start) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"ms": ms, "rss_kb": usage.ru_maxrss, "code": proc.returncode}


def main() -> int:
    for line in sys.stdin:
        request = json.loads(line)
        answer: dict[str, float | int | str]
        try:
            answer = run(request["argv"], request["cwd"], request["stderr"])
        except OSError as exc:
            answer = {"ms": 0.0, "rss_kb": 0, "code": 127, "error": str(exc)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
