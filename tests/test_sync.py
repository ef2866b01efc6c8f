"""Several clerks over a real git server: ``zhengdun sync``, scope, signed commits, the server hook.

A real ``git daemon --enable=receive-pack`` on 127.0.0.1 serves a bare repository with
``zhengdun server-hook`` installed as its ``pre-receive`` hook; each clerk is a clone worked by
the real ``zhengdun`` program (a process, with that clerk's git identity). After each story:
every record a clerk was told was recorded is in the server's history exactly once, ``check``
passes on every clone, and no clerk's local work is lost.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from processes import ZHENGDUN, environment

CLERKS_YAML = """\
clerks:
  - name: 组织部
    email: county@example.com
  - name: 城关镇党委
    email: chengguan@example.com
    townships: [城关镇]
  - name: 河口乡党委
    email: hekou@example.com
    townships: [河口乡]
"""
SUBJECT_REF = re.compile(r"^[a-z-]+ ([a-z0-9-]+/\d+|[a-z0-9-]+):")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A bare repository served by git daemon on the loopback address."""

    bare: Path
    url: str
    port: int

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.bare, check=True, capture_output=True,
                              text=True, env=environment()).stdout


def start_daemon(base: Path, port: int) -> subprocess.Popen[bytes]:
    daemon = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--enable=receive-pack", "--export-all",
         f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}", str(base)],
        env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return daemon
        except OSError:
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("git daemon did not start") from None
            time.sleep(0.05)


def stop_daemon(daemon: subprocess.Popen[bytes]) -> None:
    os.killpg(daemon.pid, signal.SIGTERM)
    daemon.wait(timeout=20)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    base = tmp_path / "server"
    base.mkdir()
    bare = base / "county.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True,
                   env=environment())
    installed = subprocess.run([str(ZHENGDUN), "server-hook", "--install", str(bare)],
                               capture_output=True, text=True, env=environment())
    assert installed.returncode == 0, installed.stderr
    assert (bare / "hooks" / "pre-receive").stat().st_mode & 0o111
    port = free_port()
    daemon = start_daemon(base, port)
    try:
        yield Server(bare, f"git://127.0.0.1:{port}/county.git", port)
    finally:
        stop_daemon(daemon)


@dataclass
class Clerk:
    """One clerk: a clone, a git identity, and what they were told was recorded."""

    name: str
    email: str
    root: Path
    told: list[str] = field(default_factory=list)  # the subjects of commits reported recorded

    def env(self, **extra: str) -> dict[str, str]:
        return environment(GIT_AUTHOR_NAME=self.name, GIT_AUTHOR_EMAIL=self.email,
                           GIT_COMMITTER_NAME=self.name, GIT_COMMITTER_EMAIL=self.email,
                           ZHENGDUN_LOCK_TIMEOUT="300", **extra)

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ZHENGDUN), *args], cwd=self.root, capture_output=True,
                              text=True, env=self.env(**extra), timeout=600)

    def ok(self, *args: str, **extra: str) -> str:
        result = self.run(*args, **extra)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True,
                              env=self.env(), check=check)

    def add(self, org: str, title: str, on: str = "2026-11-01") -> str:
        """登记 a problem; remember what the clerk was told."""
        said = self.ok("add", org, title, "--category", "10", "--due", "2026-12-31",
                       "--owner", "王五", "--found", on)
        ref = re.search(r"([a-z0-9-]+/\d+)", said)
        assert ref is not None, said
        self.told.append(f"add {ref.group(1)}: {title}")
        return ref.group(1)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def snapshot(self) -> tuple[str, str, dict[str, bytes]]:
        """HEAD, the status and every file's bytes: what "nothing changed" compares."""
        files = {p.relative_to(self.root).as_posix(): p.read_bytes()
                 for p in sorted(self.root.rglob("*")) if p.is_file() and ".git" not in p.parts}
        return self.head(), self.git("status", "--porcelain").stdout, files


@pytest.fixture
def county(server: Server, tmp_path: Path) -> tuple[Clerk, Clerk, Clerk]:
    """The 组织部 clerk sets up the workspace and publishes it; two township clerks clone it."""
    county = Clerk("组织部", "county@example.com", tmp_path / "county")
    init = subprocess.run([str(ZHENGDUN), "init", str(county.root), "--county", "示范县",
                           "--issuer", "中共示范县委组织部"], capture_output=True, text=True,
                          env=county.env())
    assert init.returncode == 0, init.stderr
    with (county.root / "zhengdun.yaml").open("a", encoding="utf-8") as config:
        config.write(CLERKS_YAML)
    county.ok("commit", "-m", "各乡镇分工")
    for name, township, slug in (("城东社区", "城关镇", "chengdong"), ("西关村", "城关镇", "xiguan"),
                                 ("马家坪村", "河口乡", "majiaping"), ("下河村", "河口乡", "xiahe")):
        county.ok("org", "add", name, "--township", township, "--kind", "村",
                  "--designated", "2026-03-15", "--category", "10", "--slug", slug)
    county.git("remote", "add", "origin", server.url)
    assert "发布本地的 6 次记录" in county.ok("sync")
    clerks = []
    for name, email, folder in (("城关镇党委", "chengguan@example.com", "chengguan"),
                                ("河口乡党委", "hekou@example.com", "hekou")):
        clone = subprocess.run(["git", "clone", "-q", server.url, str(tmp_path / folder)],
                               capture_output=True, text=True, env=environment())
        assert clone.returncode == 0, clone.stderr
        clerks.append(Clerk(name, email, tmp_path / folder))
    return county, clerks[0], clerks[1]


def published(server: Server) -> list[str]:
    return server.git("log", "--format=%s", "main").splitlines()


def assert_all_kept(server: Server, *clerks: Clerk) -> None:
    """Everything told is on the server exactly once; every clone, once synced, passes check
    and holds the server's history (nothing lost locally)."""
    subjects = published(server)
    for clerk in clerks:
        for told in clerk.told:
            assert subjects.count(told) == 1, (clerk.name, told, subjects)
    for clerk in clerks:
        clerk.ok("sync")
        assert clerk.head() == server.git("rev-parse", "main").strip(), clerk.name
        assert clerk.git("status", "--porcelain").stdout == ""
        checked = clerk.run("check")
        assert checked.returncode == 0, (clerk.name, checked.stdout, checked.stderr)
    refs = [m.group(1) for s in subjects if s.startswith("add ")
            if (m := SUBJECT_REF.match(s)) is not None]
    assert len(refs) == len(set(refs)), refs  # numbers are unique


# --------------------------------------------------------------------------- sync


def test_interleaved_records_on_different_villages(server: Server,
                                                   county: tuple[Clerk, Clerk, Clerk]) -> None:
    chief, chengguan, hekou = county
    chengguan.add("chengdong", "小区停车位不足")
    hekou.add("majiaping", "村务公开不及时")
    assert "发布本地的 1 次记录" in chengguan.ok("sync")
    hekou.add("xiahe", "党员活动室漏雨")
    said = hekou.ok("sync")  # behind and ahead: its two records go on top of 城关镇's one
    assert "取回其他同志的 1 次记录" in said and "发布本地的 2 次记录" in said
    chief.ok("sync")
    chengguan.add("xiguan", "书记长期外出")
    chief.add("chengdong", "组织生活不规范")  # the county answers for every township
    hekou.add("majiaping", "换届后班子不团结")
    chengguan.ok("sync")
    chief.ok("sync")
    hekou.ok("sync")
    assert_all_kept(server, chief, chengguan, hekou)
    # published history was never rewritten: the server's first commits are the chief's
    assert published(server)[-1].startswith("init workspace")


def test_nothing_to_do_says_so(server: Server, county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.ok("sync")
    before = chengguan.snapshot()
    said = chengguan.ok("sync")
    assert said.startswith("已是最新：本地台账与服务器（origin/main）一致")
    assert chengguan.snapshot() == before


def test_plain_git_pull_rebases_like_sync(server: Server,
                                          county: tuple[Clerk, Clerk, Clerk]) -> None:
    """``init`` (and ``sync``) set ``pull.rebase``: a clerk using git directly gets the same
    line of history instead of git's "Need to specify how to reconcile divergent branches"."""
    chief, chengguan, hekou = county
    assert chief.git("config", "pull.rebase").stdout.strip() == "true"
    chengguan.ok("sync")
    hekou.ok("sync")
    chengguan.add("chengdong", "停车难")
    chengguan.ok("sync")
    hekou.add("majiaping", "活动场所缺")
    pulled = hekou.git("pull", check=False)
    assert pulled.returncode == 0, pulled.stderr
    assert hekou.git("rev-list", "--merges", "--count", "HEAD").stdout.strip() == "0"
    assert hekou.git("log", "-1", "--format=%s").stdout.strip() == "add majiaping/1: 活动场所缺"


def test_twenty_syncs_started_at_once(server: Server,
                                      county: tuple[Clerk, Clerk, Clerk]) -> None:
    """Twenty ``sync`` processes at once over three clones: pushes that lose the race are
    tried again, and nothing is lost."""
    clerks = county
    for clerk in clerks[1:]:
        clerk.ok("sync")  # configure signing/pull before recording, as the README says
    for index in range(3):
        clerks[0].add("chengdong", f"县级督查发现问题{index}")
        clerks[1].add("xiguan", f"城关镇排查问题{index}")
        clerks[2].add("majiaping", f"河口乡排查问题{index}")
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: clerks[i % 3].run("sync"), range(20)))
    for result in results:
        assert result.returncode == 0, (result.stdout, result.stderr)
    assert_all_kept(server, *clerks)


def test_a_clerk_offline_for_a_month_then_syncing(server: Server,
                                                  county: tuple[Clerk, Clerk, Clerk]) -> None:
    chief, chengguan, hekou = county
    hekou.ok("sync")
    chengguan.ok("sync")
    for day in range(1, 29, 3):  # 河口乡 records all month without a connection
        hekou.add("xiahe", f"下河村问题{day}", on=f"2026-10-{day:02d}")
    local = list(hekou.told)
    for day in range(2, 29, 4):  # meanwhile the others record and publish
        chengguan.add("xiguan", f"西关村问题{day}", on=f"2026-10-{day:02d}")
        chengguan.ok("sync")
        chief.add("majiaping", f"马家坪村问题{day}", on=f"2026-10-{day:02d}")
        chief.ok("sync")
    said = hekou.ok("sync")
    assert f"发布本地的 {len(local)} 次记录" in said
    assert_all_kept(server, chief, chengguan, hekou)
    numbers = [s for s in published(server) if s.startswith("add xiahe/")]
    assert len(numbers) == len(local)


# --------------------------------------------------------------------------- failures


def test_no_remote_is_refused(tmp_path: Path) -> None:
    clerk = Clerk("组织部", "county@example.com", tmp_path / "alone")
    subprocess.run([str(ZHENGDUN), "init", str(clerk.root), "--county", "示范县", "--issuer",
                    "组织部"], check=True, capture_output=True, env=clerk.env())
    before = clerk.snapshot()
    result = clerk.run("sync")
    assert result.returncode == 1
    assert "错误：这个工作区还没有设置服务器（git 远程仓库），无从同步" in result.stderr
    assert "git remote add origin" in result.stderr
    assert clerk.snapshot() == before


def test_an_unreachable_server_loses_nothing(server: Server,
                                             county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.ok("sync")
    chengguan.add("chengdong", "停车难")
    chengguan.git("remote", "set-url", "origin", f"git://127.0.0.1:{free_port()}/county.git")
    before = chengguan.snapshot()
    result = chengguan.run("sync")
    assert result.returncode == 1, result.stdout
    assert "错误：连不上服务器 git://127.0.0.1:" in result.stderr
    assert "fatal: unable to connect to 127.0.0.1" in result.stderr  # git's own reason
    assert "本地记录都还在，没有任何改动" in result.stderr
    assert "Traceback" not in result.stderr
    assert chengguan.snapshot() == before


def test_a_missing_server_repository_is_named(server: Server,
                                              county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.ok("sync")
    chengguan.git("remote", "set-url", "origin", f"{server.url[:-len('county.git')]}nowhere.git")
    before = chengguan.snapshot()
    result = chengguan.run("sync")
    assert result.returncode == 1
    assert "错误：服务器上没有这个台账仓库" in result.stderr
    assert chengguan.snapshot() == before


def test_a_true_conflict_is_refused_and_undone(server: Server,
                                               county: tuple[Clerk, Clerk, Clerk]) -> None:
    """Two clerks set the same field of one village to different values: git cannot put one
    on top of the other; the rebase is undone and both keep their own record."""
    chief, chengguan, _ = county
    chengguan.ok("sync")
    chief.ok("org", "set", "chengdong", "--first-secretary", "赵六")
    chief.ok("sync")
    chengguan.ok("org", "set", "chengdong", "--first-secretary", "钱七")
    before = chengguan.snapshot()
    result = chengguan.run("sync")
    assert result.returncode == 1, result.stdout
    assert "错误：本地记录与其他同志已发布的记录在 ledgers/chengdong.yaml 中冲突" in result.stderr
    assert "本地记录都还在（已恢复到同步前的样子）" in result.stderr
    assert chengguan.snapshot() == before
    assert not (chengguan.root / ".git" / "rebase-merge").exists()


def test_hand_edits_are_not_swept_into_a_sync(server: Server,
                                              county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.ok("sync")
    with (chengguan.root / "ledgers" / "chengdong.yaml").open("a", encoding="utf-8") as file:
        file.write("# 手工备注\n")
    before = chengguan.snapshot()
    result = chengguan.run("sync")
    assert result.returncode == 1
    assert "错误：有未记录的手工修改（ledgers/chengdong.yaml）" in result.stderr
    assert chengguan.snapshot() == before


# --------------------------------------------------------------------------- scope


def test_recording_outside_ones_townships_is_refused_locally(
        server: Server, county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.ok("sync")
    before = chengguan.snapshot()
    for args in (["add", "majiaping", "越权登记", "--category", "10", "--due", "2026-12-31",
                  "--owner", "王五"],
                 ["visit", "majiaping", "--kind", "督查", "--by", "城关镇党委", "越权督查"],
                 ["org", "add", "河口村", "--township", "河口乡", "--kind", "村",
                  "--designated", "2026-03-15", "--category", "10"]):
        result = chengguan.run(*args)
        assert result.returncode == 1, (args, result.stdout)
        assert "错误：河口乡 不在 城关镇党委 负责的乡镇（城关镇）之内" in result.stderr, args
        assert "请由负责河口乡的同志记录" in result.stderr
        assert chengguan.snapshot() == before


def test_the_quick_path_refuses_out_of_scope_too(server: Server,
                                                 county: tuple[Clerk, Clerk, Clerk]) -> None:
    """``close``/``step`` on a checked ledger take the fast path: the same rule stops them."""
    chief, chengguan, _ = county
    ref = chief.add("majiaping", "村务公开不及时")
    chief.ok("sync")
    chengguan.ok("sync")
    chengguan.ok("check")  # verdicts for every ledger: step would take the quick path
    before = chengguan.snapshot()
    result = chengguan.run("step", ref, "越权记录的进展", "--on", "2026-11-02")
    assert result.returncode == 1
    assert "错误：河口乡 不在 城关镇党委 负责的乡镇（城关镇）之内" in result.stderr
    assert chengguan.snapshot() == before


def test_an_unknown_identity_is_refused(server: Server,
                                        county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.ok("sync")
    stranger = Clerk("临时工", "temp@example.com", chengguan.root)
    before = stranger.snapshot()
    result = stranger.run("add", "chengdong", "停车难", "--category", "10", "--due", "2026-12-31",
                          "--owner", "王五")
    assert result.returncode == 1
    assert "错误：git 身份 temp@example.com 不在 zhengdun.yaml 的 clerks 名单中" in result.stderr
    assert stranger.snapshot() == before


def test_a_township_clerk_cannot_change_the_config(server: Server,
                                                   county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.ok("sync")
    config = chengguan.root / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "townships: [城关镇]", "townships: [城关镇, 河口乡]"), encoding="utf-8")
    before = chengguan.snapshot()
    result = chengguan.run("commit", "-m", "扩大分工")
    assert result.returncode == 1
    assert "错误：城关镇党委 只负责 城关镇，不能修改工作区配置 zhengdun.yaml" in result.stderr
    assert chengguan.snapshot() == before


def test_a_push_outside_the_scope_is_rejected_by_the_server(
        server: Server, county: tuple[Clerk, Clerk, Clerk]) -> None:
    """Round the local rule with plain git: the server's hook says no, and sync shows why."""
    chief, chengguan, hekou = county
    chengguan.ok("sync")
    chengguan.add("chengdong", "停车难")
    ledger = chengguan.root / "ledgers" / "majiaping.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8") + "# 城关镇改了河口乡的台账\n",
                      encoding="utf-8")
    chengguan.git("commit", "-q", "-am", "手工修改马家坪村")
    server_before = server.git("rev-parse", "main")
    local = chengguan.head()
    result = chengguan.run("sync")
    assert result.returncode == 1, result.stdout
    assert "错误：服务器拒绝了这次同步，本地的记录没有发布。服务器的说明：" in result.stderr
    assert "手工修改马家坪村）：河口乡 不在 城关镇党委 负责的乡镇（城关镇）之内" in result.stderr
    assert "本地记录都还在" in result.stderr
    assert server.git("rev-parse", "main") == server_before
    assert chengguan.head() == local  # nothing lost locally
    # the clerk takes the stray commit back; the good record then goes through
    chengguan.git("reset", "-q", "--keep", "HEAD~1")
    chengguan.ok("sync")
    assert_all_kept(server, chief, chengguan, hekou)


def test_a_force_push_is_rejected(server: Server, county: tuple[Clerk, Clerk, Clerk]) -> None:
    chief, chengguan, hekou = county
    chengguan.ok("sync")
    chengguan.add("chengdong", "停车难")
    chengguan.ok("sync")
    chengguan.git("commit", "-q", "--amend", "-m", "add chengdong/1: 改写过的记录")
    pushed = chengguan.git("push", "-f", "origin", "HEAD:main", check=False)
    assert pushed.returncode != 0
    assert "remote: 错误：zhengdun 服务器检查未通过，这次推送被拒绝：" in pushed.stderr
    assert "会改写分支 main 上已经发布的历史（强制推送）" in pushed.stderr
    assert published(server)[0] == "add chengdong/1: 停车难"
    deleted = chengguan.git("push", "origin", ":main", check=False)
    assert deleted.returncode != 0 and "不能删除分支 main" in deleted.stderr
    chengguan.git("reset", "-q", "--hard", "origin/main")
    assert_all_kept(server, chief, chengguan, hekou)


def test_a_push_leaving_a_ledger_that_fails_check_is_rejected(
        server: Server, county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.ok("sync")
    ledger = chengguan.root / "ledgers" / "chengdong.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("kind: 村", "kind: 镇"),
                      encoding="utf-8")
    chengguan.git("commit", "-q", "-am", "写错了类别")
    result = chengguan.run("sync")
    assert result.returncode == 1
    assert "推送后的台账不能通过检查：ledgers/chengdong.yaml:" in result.stderr


def test_installing_the_hook_needs_a_bare_repository(tmp_path: Path) -> None:
    folder = tmp_path / "not-bare"
    subprocess.run(["git", "init", "-q", str(folder)], check=True, env=environment())
    result = subprocess.run([str(ZHENGDUN), "server-hook", "--install", str(folder)],
                            capture_output=True, text=True, env=environment())
    assert result.returncode == 1
    assert "不是服务器用的裸仓库（bare repository）" in result.stderr
    assert not (folder / ".git" / "hooks" / "pre-receive").exists()
    missing = subprocess.run([str(ZHENGDUN), "server-hook", "--install", str(tmp_path / "no")],
                             capture_output=True, text=True, env=environment())
    assert missing.returncode == 1 and "找不到服务器仓库" in missing.stderr


# --------------------------------------------------------------------------- signatures


def keypair(folder: Path, name: str) -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    private = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                    str(private)], check=True)
    return private, private.with_suffix(".pub").read_text(encoding="utf-8").strip()


@pytest.fixture
def signed_county(county: tuple[Clerk, Clerk, Clerk],
                  tmp_path: Path) -> tuple[Clerk, Clerk, Clerk, Path]:
    """The county requires signatures; each clerk's public key is in the config, each private
    key in the clerk's own folder. Returns the clerks and a stranger's private key."""
    chief, chengguan, hekou = county
    keys = {c.email: keypair(tmp_path / "keys", c.email.split("@")[0]) for c in county}
    config = chief.root / "zhengdun.yaml"
    text = config.read_text(encoding="utf-8")
    for email, (_, public) in keys.items():
        text = text.replace(f"    email: {email}\n",
                            f"    email: {email}\n    signing_key: {public}\n")
    config.write_text(text + "signing: required\n", encoding="utf-8")
    for clerk in county:  # each clerk tells git which private key is theirs
        clerk.git("config", "user.signingkey", str(keys[clerk.email][0]))
    chief.ok("commit", "-m", "要求签名")  # published unsigned: signing starts with this config
    chief.ok("sync")
    for clerk in county:
        clerk.ok("sync")
        assert clerk.git("config", "commit.gpgsign").stdout.strip() == "true"
        assert clerk.git("config", "gpg.format").stdout.strip() == "ssh"
    stranger, _ = keypair(tmp_path / "keys", "stranger")
    return chief, chengguan, hekou, stranger


def test_signed_records_go_through(server: Server,
                                   signed_county: tuple[Clerk, Clerk, Clerk, Path]) -> None:
    chief, chengguan, hekou, _ = signed_county
    chengguan.add("chengdong", "停车难")
    hekou.add("majiaping", "活动场所缺")
    chengguan.ok("sync")
    hekou.ok("sync")  # rebased: its commit is signed again, by its own key
    # the hook accepted them under ``signing: required``; both are signed on the server
    for rev in ("main", "main~1"):
        assert "-----BEGIN SSH SIGNATURE-----" in server.git("cat-file", "commit", rev)
    assert_all_kept(server, chief, chengguan, hekou)


def test_an_unsigned_commit_is_rejected_where_signing_is_required(
        server: Server, signed_county: tuple[Clerk, Clerk, Clerk, Path]) -> None:
    _, chengguan, _, _ = signed_county
    chengguan.git("config", "commit.gpgsign", "false")
    chengguan.add("chengdong", "停车难")
    local = chengguan.head()
    result = chengguan.run("sync")  # turns signing back on, for the records made after it
    assert result.returncode == 1, result.stdout
    assert "add chengdong/1: 停车难）：没有签名" in result.stderr
    assert "这个工作区要求每次记录都用本人的 SSH 密钥签名" in result.stderr
    assert chengguan.head() == local


def test_a_commit_signed_with_an_unknown_key_is_rejected(
        server: Server, signed_county: tuple[Clerk, Clerk, Clerk, Path]) -> None:
    _, chengguan, _, stranger = signed_county
    chengguan.git("config", "user.signingkey", str(stranger))
    chengguan.add("chengdong", "停车难")
    result = chengguan.run("sync")
    assert result.returncode == 1
    assert "签名所用的密钥不是 zhengdun.yaml 中任何一位同志的" in result.stderr


def test_a_forged_signature_is_rejected(server: Server,
                                        signed_county: tuple[Clerk, Clerk, Clerk, Path]) -> None:
    """A signature lifted from a real signed commit onto altered content does not verify."""
    _, chengguan, _, _ = signed_county
    chengguan.add("chengdong", "停车难")
    raw = chengguan.git("cat-file", "commit", "HEAD").stdout
    assert "-----BEGIN SSH SIGNATURE-----" in raw
    forged = raw.replace("停车难", "伪造的记录")
    made = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"],
                          cwd=chengguan.root, input=forged, capture_output=True, text=True,
                          check=True, env=chengguan.env()).stdout.strip()
    chengguan.git("update-ref", "refs/heads/main", made)
    result = chengguan.run("sync")
    assert result.returncode == 1
    assert "签名无效（签名与提交内容不符，可能是伪造的或提交被改动过）" in result.stderr


def test_sync_asks_for_the_private_key_it_needs(server: Server,
                                                county: tuple[Clerk, Clerk, Clerk],
                                                tmp_path: Path) -> None:
    chief, chengguan, _ = county
    chengguan.ok("sync")
    _, public = keypair(tmp_path / "keys", "chengguan")
    config = chief.root / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "    email: chengguan@example.com\n",
        f"    email: chengguan@example.com\n    signing_key: {public}\n"), encoding="utf-8")
    chief.ok("commit", "-m", "城关镇签名")
    chief.ok("sync")
    chengguan.add("chengdong", "停车难")
    local = chengguan.head()
    result = chengguan.run("sync")  # learns the key from the server's config, then stops
    assert result.returncode == 1
    assert "错误：zhengdun.yaml 要求 城关镇党委 的提交用 SSH 密钥签名，但 git 还不知道用哪把私钥签名" \
        in result.stderr
    assert "git config user.signingkey" in result.stderr
    assert chengguan.head() != local and chengguan.git(
        "log", "-1", "--format=%s").stdout.strip() == "add chengdong/1: 停车难"  # on top, kept
    assert "add chengdong/1: 停车难" not in published(server)


def test_several_remotes_and_none_named_origin_is_refused(
        server: Server, county: tuple[Clerk, Clerk, Clerk]) -> None:
    _, chengguan, _ = county
    chengguan.git("remote", "rename", "origin", "county")
    chengguan.git("branch", "--unset-upstream")
    chengguan.git("remote", "add", "backup", server.url)
    before = chengguan.snapshot()
    result = chengguan.run("sync")
    assert result.returncode == 1
    assert "错误：工作区有多个远程仓库（" in result.stderr and "不知道和哪个同步" in result.stderr
    assert chengguan.snapshot() == before


class _AskForPassword(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # every request: a password is needed
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="county"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_asking_for_a_password_is_an_authentication_failure(tmp_path: Path) -> None:
    """An HTTP server on 127.0.0.1 that wants a password: sync never prompts, and says so."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _AskForPassword)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        clerk = Clerk("组织部", "county@example.com", tmp_path / "alone")
        subprocess.run([str(ZHENGDUN), "init", str(clerk.root), "--county", "示范县", "--issuer",
                        "组织部"], check=True, capture_output=True, env=clerk.env())
        clerk.git("remote", "add", "origin",
                  f"http://127.0.0.1:{httpd.server_address[1]}/county.git")
        before = clerk.snapshot()
        result = clerk.run("sync")
    finally:
        httpd.shutdown()
        thread.join()
    assert result.returncode == 1
    assert "错误：服务器 http://127.0.0.1:" in result.stderr
    assert "拒绝了身份验证（用户名、密码或 SSH 密钥不对），无法同步" in result.stderr
    assert clerk.snapshot() == before


def test_a_branch_the_server_cannot_update_is_tried_again_then_given_up(
        server: Server, county: tuple[Clerk, Clerk, Clerk]) -> None:
    """The server cannot move its branch (a stale lock, as when another push holds it): sync
    takes it for a lost race, tries again, and after its attempts says so, keeping the record."""
    from zhengdun.errors import UserError
    from zhengdun.sync import sync

    _, chengguan, _ = county
    chengguan.ok("sync")
    chengguan.add("chengdong", "停车难")
    local = chengguan.head()
    (server.bare / "refs" / "heads" / "main.lock").write_text("", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        sync(chengguan.root, attempts=2)
    assert refused.value.message == "服务器上的台账一直在更新，试了 2 次仍未能发布本地记录"
    assert chengguan.head() == local
    (server.bare / "refs" / "heads" / "main.lock").unlink()
    assert "发布本地的 1 次记录" in chengguan.ok("sync")


def test_transfers_report_their_progress(server: Server,
                                         county: tuple[Clerk, Clerk, Clerk]) -> None:
    """GitPython's progress parser hands each stage on, in the clerk's words (the CLI draws it
    as a bar on a terminal). git shows some stages only on slow transfers, so only what it
    reported for this small one is asserted."""
    from zhengdun.sync import STAGES, sync

    chief, chengguan, _ = county
    chief.add("chengdong", "停车难")
    chief.ok("sync")
    seen: list[tuple[str, int, int | None]] = []
    done = sync(chengguan.root, lambda stage, count, total: seen.append((stage, count, total)))
    assert done.received == 1
    assert seen and {stage for stage, _, _ in seen} <= set(STAGES.values()), seen
    assert all(total is None or 0 <= count <= total for _, count, total in seen), seen
