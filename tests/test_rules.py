"""The preconditions live once, in ``zhengdun.rules``, and both paths obey them.

The maintainer's experiment of the one-path issue, made a test: a new precondition added to the
rules module (here by patching it in the program's process) refuses on the quick path and on the
full path alike, with its own words, and nothing is recorded; without it, the quick path records
the same step without loading the models (so the quick path really consulted the rule).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from zhengdun import rules

TRIAL = '''
import sys
from zhengdun import rules

ordinary = rules.step_refusal


def step_refusal(day, found_on, steps, **given):
    if day.day == 15:  # the new precondition a maintainer adds
        return rules.Refusal("试验规则：每月15日不记录进展", "请换一天")
    return ordinary(day, found_on, steps, **given)


if {patched!r}:
    rules.step_refusal = step_refusal
from zhengdun.quick import main
sys.argv = ["zhengdun", *{argv!r}]
main()
'''


def program(root: Path, argv: list[str], patched: bool, quick: bool) -> tuple[Any, set[str]]:
    code = TRIAL.format(patched=patched, argv=argv)
    env = {**os.environ, "ZHENGDUN_QUICK": "on" if quick else "off"}
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=root,
                            capture_output=True, text=True, env=env, check=False)
    modules = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    return result, modules


def head(root: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_a_new_precondition_in_the_rules_module_holds_on_both_paths(chengdong: Any,
                                                                     workspace: Path) -> None:
    assert chengdong("check").exit_code == 0  # a verdict for the ledger: the quick path applies
    argv = ["step", "chengdong/1", "召开居民议事会", "--on", "2026-04-15"]
    before = head(workspace)
    for quick in (True, False):
        result, _ = program(workspace, argv, patched=True, quick=quick)
        assert result.returncode == 1, (quick, result.stdout, result.stderr[-2000:])
        assert "试验规则：每月15日不记录进展" in result.stderr and "请换一天" in result.stderr
        assert head(workspace) == before
    # Without the new rule the same step is recorded, by the quick path (no models loaded).
    result, modules = program(workspace, argv, patched=False, quick=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pydantic" not in {m.split(".")[0] for m in modules}
    assert head(workspace) != before


D = date.fromisoformat


@pytest.mark.parametrize(("refusal", "words"), [
    (rules.not_in_future(D("2026-11-22"), D("2026-11-21"), "进展日期"),
     "进展日期 2026-11-22 晚于今天（2026-11-21），不能记录未来的事"),
    (rules.step_refusal(D("2026-03-01"), D("2026-03-10"), []),
     "进展日期 2026-03-01 早于问题的发现日期 2026-03-10"),
    (rules.step_refusal(D("2026-04-01"), D("2026-03-10"), [D("2026-04-02")]),
     "进展日期 2026-04-01 早于上一条进展（2026-04-02）"),
    (rules.close_refusal("chengdong/1", D("2026-05-01"), D("2026-03-10"), [], D("2026-04-01"),
                         None), "chengdong/1 已于 2026-04-01 销号，不能重复销号"),
    (rules.close_refusal("chengdong/1", D("2026-05-01"), D("2026-03-10"), [], None,
                         D("2026-05-02")), "销号日期 2026-05-01 早于反弹日期 2026-05-02"),
    (rules.reopen_refusal("chengdong/1", D("2026-05-01"), None),
     "chengdong/1 尚未销号，无需重新打开"),
    (rules.reopen_refusal("chengdong/1", D("2026-05-01"), D("2026-05-02")),
     "反弹日期 2026-05-01 早于销号日期 2026-05-02"),
    (rules.add_refusal(D("2026-05-01"), D("2026-04-30")),
     "整改时限 2026-04-30 早于发现日期 2026-05-01"),
    (rules.acceptance_refusal("城东社区", D("2026-03-01"), D("2026-03-15"), "基本合格", []),
     "验收日期 2026-03-01 早于认定日期 2026-03-15"),
    (rules.acceptance_refusal("城东社区", D("2026-06-01"), D("2026-03-15"), "合格",
                              ["chengdong/1 小区停车位不足"]),
     "城东社区 还有 1 个问题未销号，不能验收为合格：chengdong/1 小区停车位不足"),
    (rules.choice_refusal("巡查", ("督查", "调度", "约谈", "回头看"), "类别"), "类别“巡查”不对"),
])
def test_each_rule_says_what_is_wrong(refusal: rules.Refusal | None, words: str) -> None:
    assert refusal is not None and refusal.message == words


def test_the_rules_let_a_proper_record_through() -> None:
    assert rules.not_in_future(D("2026-11-21"), D("2026-11-21"), "进展日期") is None
    assert rules.step_refusal(D("2026-04-02"), D("2026-03-10"), [D("2026-04-02")]) is None
    assert rules.close_refusal("x/1", D("2026-05-02"), D("2026-03-10"), [D("2026-05-01")], None,
                               D("2026-05-02")) is None
    assert rules.reopen_refusal("x/1", D("2026-05-02"), D("2026-05-02")) is None
    assert rules.add_refusal(D("2026-05-01"), D("2026-05-01")) is None
    assert rules.acceptance_refusal("城东社区", D("2026-06-01"), D("2026-03-15"), "基本合格",
                                    ["chengdong/1 小区停车位不足"]) is None
    assert rules.choice_refusal("督查", ("督查", "调度"), "类别") is None
