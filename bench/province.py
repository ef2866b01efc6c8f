"""A province simulation for ``zhengdun sync`` (issue 13, Speed): many clerks over one server.

    python bench/province.py                       # 100 clones, 10 records each (long)
    python bench/province.py --clones 5 --records 2

A real ``git daemon`` on 127.0.0.1 serves a bare repository with ``zhengdun server-hook``
installed. The 组织部 clerk registers one village per township clerk and publishes; each
township clerk clones. Then, in rounds, every clerk records one problem on their own village
and syncs (clerks run concurrently, a few at a time). At the end every record a clerk was told
was recorded must be on the server exactly once, numbers unique, and ``check`` must pass.
Prints the wall time of the rounds; exits 1 if anything was lost.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BIN = Path(sys.executable).parent
ZHENGDUN = str(BIN / "zhengdun")


def env_for(name: str, email: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "ZHENGDUN_"))}
    env.update({"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email, "GIT_CONFIG_GLOBAL": os.devnull,
                "GIT_CONFIG_NOSYSTEM": "1", "ZHENGDUN_TODAY": "2026-11-21",
                "ZHENGDUN_LOCK_TIMEOUT": "600"})
    return env


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{result.stdout}{result.stderr}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", type=int, default=100)
    parser.add_argument("--records", type=int, default=10)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="zhengdun-province-"))
    base = tmp / "server"
    base.mkdir()
    chief_env = env_for("组织部", "county@example.gov.cn")
    run(["git", "init", "-q", "--bare", "-b", "main", str(base / "p.git")], tmp, chief_env)
    run([ZHENGDUN, "server-hook", "--install", str(base / "p.git")], tmp, chief_env)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--enable=receive-pack",
                               "--export-all", f"--base-path={base}", "--listen=127.0.0.1",
                               f"--port={port}", str(base)], env=chief_env,
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"git://127.0.0.1:{port}/p.git"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        chief = tmp / "county"
        run([ZHENGDUN, "init", str(chief), "--county", "示范省", "--issuer", "组织部"], tmp,
            chief_env)
        clerks = [(f"第{i}乡党委", f"t{i}@example.gov.cn", f"第{i}乡", f"v{i}")
                  for i in range(args.clones)]
        with (chief / "zhengdun.yaml").open("a", encoding="utf-8") as config:
            config.write("clerks:\n  - name: 组织部\n    email: county@example.gov.cn\n")
            for name, email, township, _ in clerks:
                config.write(f"  - name: {name}\n    email: {email}\n"
                             f"    townships: [{township}]\n")
        run([ZHENGDUN, "commit", "-m", "分工"], chief, chief_env)
        for _, _, township, slug in clerks:
            run([ZHENGDUN, "org", "add", f"{township}{slug}村", "--township", township,
                 "--kind", "村", "--designated", "2026-03-15", "--category", "10",
                 "--slug", slug], chief, chief_env)
        run(["git", "remote", "add", "origin", url], chief, chief_env)
        run([ZHENGDUN, "sync"], chief, chief_env)
        for _, _, _, slug in clerks:
            run(["git", "clone", "-q", url, str(tmp / slug)], tmp, chief_env)
        told: list[str] = []

        def one_round(clerk: tuple[str, str, str, str], index: int) -> str:
            name, email, _, slug = clerk
            env = env_for(name, email)
            said = run([ZHENGDUN, "add", slug, f"{name}第{index}个问题", "--category", "10",
                        "--due", "2026-12-31", "--owner", "王五", "--found", "2026-11-01"],
                       tmp / slug, env)
            run([ZHENGDUN, "sync"], tmp / slug, env)
            ref = re.search(r"([a-z0-9-]+/\d+)", said)
            assert ref is not None, said
            return f"add {ref.group(1)}: {name}第{index}个问题"

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            for index in range(args.records):
                told += pool.map(lambda c, i=index: one_round(c, i), clerks)
        elapsed = time.perf_counter() - started
        run([ZHENGDUN, "sync"], chief, chief_env)
        subjects = run(["git", "log", "--format=%s", "main"], base / "p.git", chief_env)
        subjects_list = subjects.splitlines()
        lost = [t for t in told if subjects_list.count(t) != 1]
        run([ZHENGDUN, "check"], chief, chief_env)
        print(f"province: {args.clones} clones × {args.records} records, "
              f"{len(told)} records synced in {elapsed:.1f} s "
              f"({elapsed / max(len(told), 1) * 1000:.0f} ms a record + sync); "
              f"lost or doubled: {len(lost)}")
        return 1 if lost else 0
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
