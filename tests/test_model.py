"""The model: state derived from recorded events, and the rules of a ledger, one by one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from zhengdun.model import (
    CENTRAL_CATEGORIES,
    DEFAULT_SOURCES,
    Closure,
    Config,
    Ledger,
    Problem,
    Reopening,
    Round,
    Step,
    label,
    ledger_findings,
    parse_day,
)

TODAY = date(2026, 11, 21)
D = date.fromisoformat


def problem(pid: int = 1, *, found: str = "2026-03-10", due: str = "2026-06-30",
            steps: Sequence[Any] = (), closures: Sequence[Any] = (),
            **extra: Any) -> Problem:
    """A problem with steps on the given days and closures (day, reopened day or None)."""
    fields: dict[str, Any] = {"id": pid, "round": "2026", "title": f"问题{pid}", "category": "10",
                              "found_on": found, "due": due, "owner": "王五",
                              "steps": [d if isinstance(d, dict) else {"on": d, "text": "进展"}
                                        for d in steps],
                              "closures": [c if isinstance(c, dict) else _closure(*c)
                                           for c in closures]}
    fields.update(extra)
    return Problem.model_validate(fields)


def _closure(on: str, reopened: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"on": on, "result": "整改到位"}
    if reopened:
        out["reopened"] = {"on": reopened, "reason": "反弹"}
    return out


def ledger(*problems: Problem, acceptances: Sequence[tuple[str, str]] = (),
           designated_on: str = "2026-03-15", categories: Sequence[str] = ("10",),
           **extra: Any) -> Ledger:
    """One round (2026) designated on ``designated_on``; visits are of that round."""
    fields: dict[str, Any] = {"schema_version": 2, "name": "城东社区", "kind": "社区",
                              "township": "城关镇",
                              "designations": [{"round": "2026", "on": designated_on,
                                                "categories": list(categories)}],
                              "problems": list(problems),
                              "acceptances": [{"round": "2026", "on": d, "by": "县委组织部",
                                               "grade": g} for d, g in acceptances]}
    extra["visits"] = [{"round": "2026", **v} for v in extra.get("visits", [])]
    fields.update(extra)
    return Ledger.model_validate(fields)


CONFIG = Config(schema_version=2, county="示范县", issuer="中共示范县委组织部", doc_prefix="示组通",
                categories=dict(CENTRAL_CATEGORIES),
                rounds=[Round(name="2026", start=date(2026, 1, 1))])


def findings(item: Ledger, evidence: Any = None) -> list[tuple[tuple[Any, ...], str]]:
    return [(f.path, f.message) for f in ledger_findings(item, CONFIG, TODAY, evidence)]


# --------------------------------------------------------------------------- state


def test_open_problem() -> None:
    p = problem()
    assert p.state_on() == "open"
    assert p.state_on(D("2026-12-31")) == "open"
    assert not p.is_closed_on()
    assert p.closed_on() is None


def test_closed_then_reopened_then_closed_again() -> None:
    p = problem(closures=[("2026-06-20", "2026-08-01"), ("2026-09-10", None)])
    assert p.state_on(D("2026-06-19")) == "open"
    assert p.state_on(D("2026-06-20")) == "closed"
    assert p.state_on(D("2026-07-31")) == "closed"
    assert p.state_on(D("2026-08-01")) == "reopened"
    assert p.state_on(D("2026-09-09")) == "reopened"
    assert p.state_on(D("2026-09-10")) == "closed"
    assert p.state_on() == "closed"
    assert p.closed_on() == D("2026-09-10")
    assert p.closed_on(D("2026-07-01")) == D("2026-06-20")
    assert p.closed_on(D("2026-08-15")) is None


def test_reopened_problem_counts_as_not_closed() -> None:
    p = problem(closures=[("2026-06-20", "2026-08-01")])
    assert p.state_on() == "reopened"
    assert not p.is_closed_on()
    assert p.is_closed_on(D("2026-07-15"))
    assert p.closed_on() is None


def test_events_after_the_day_are_ignored() -> None:
    p = problem(steps=["2026-04-01", "2026-05-01"], closures=[("2026-06-20", "2026-08-01")])
    assert p.last_activity(D("2026-04-30")) == D("2026-04-01")
    assert p.last_activity(D("2026-07-01")) == D("2026-06-20")
    assert p.last_activity() == D("2026-08-01")
    assert p.last_activity(D("2026-03-31")) is None


def test_overdue_on_the_due_day_itself_is_not_overdue() -> None:
    p = problem(due="2026-06-30")
    assert not p.is_overdue_on(D("2026-06-29"))
    assert not p.is_overdue_on(D("2026-06-30"))
    assert p.is_overdue_on(D("2026-07-01"))
    assert p.days_overdue_on(D("2026-06-30")) == 0
    assert p.days_overdue_on(D("2026-07-01")) == 1
    assert p.days_overdue_on(D("2026-11-21")) == 144


def test_closed_problem_is_never_overdue() -> None:
    early = problem(due="2026-06-30", closures=[("2026-06-20", None)])
    assert not early.is_overdue_on(D("2026-11-21"))
    assert early.days_overdue_on(D("2026-11-21")) == 0
    late = problem(due="2026-06-30", closures=[("2026-07-10", None)])
    assert late.is_overdue_on(D("2026-07-09"))  # closed late: overdue until it was closed
    assert late.days_overdue_on(D("2026-07-09")) == 9
    assert not late.is_overdue_on(D("2026-07-10"))


def test_reopened_problem_is_overdue_again() -> None:
    p = problem(due="2026-06-30", closures=[("2026-06-20", "2026-08-01")])
    assert not p.is_overdue_on(D("2026-07-31"))
    assert p.is_overdue_on(D("2026-08-01"))
    assert p.days_overdue_on(D("2026-08-01")) == 32


def test_problem_not_yet_found_is_not_overdue() -> None:
    p = problem(found="2026-09-01", due="2026-09-05")
    assert not p.exists_on(D("2026-08-31"))
    assert not p.is_overdue_on(D("2026-08-31"))
    assert p.is_overdue_on(D("2026-09-06"))
    assert p.exists_on(None)


@pytest.mark.parametrize(("grades", "day", "stage"), [
    ([], None, "整顿中"),
    ([("2026-10-20", "合格")], None, "已转化"),
    ([("2026-10-20", "基本合格")], None, "巩固提升"),
    ([("2026-10-20", "不合格")], None, "重新整顿"),
    ([("2026-10-20", "合格")], "2026-10-19", "整顿中"),
    ([("2026-10-20", "合格")], "2026-10-20", "已转化"),
    ([("2026-09-01", "不合格"), ("2026-11-01", "基本合格")], "2026-10-31", "重新整顿"),
    ([("2026-09-01", "不合格"), ("2026-11-01", "基本合格")], "2026-11-01", "巩固提升"),
    ([("2026-09-01", "不合格"), ("2026-11-01", "基本合格")], None, "巩固提升"),
])
def test_stage_follows_the_last_acceptance(grades: list[tuple[str, str]], day: str | None,
                                           stage: str) -> None:
    item = ledger(acceptances=grades)
    assert item.stage_on(D(day) if day else None) == stage


def test_ledger_last_activity_includes_visits() -> None:
    item = ledger(problem(steps=["2026-04-01"]),
                  visits=[{"on": "2026-05-10", "kind": "督查", "by": "组织部", "text": "督查"}])
    assert item.last_activity() == D("2026-05-10")
    assert item.last_activity(D("2026-05-09")) == D("2026-04-01")
    assert ledger().last_activity() is None


@pytest.mark.parametrize(("ids", "next_id"), [([], 1), ([1], 2), ([1, 3], 4), ([2, 7, 4], 8),
                                              ([5], 6)])
def test_next_problem_id_never_reuses_ids(ids: list[int], next_id: int) -> None:
    item = ledger(*[problem(pid) for pid in ids])
    assert item.next_problem_id() == next_id
    assert next_id not in ids
    assert all(next_id > pid for pid in ids)


def test_problem_lookup() -> None:
    item = ledger(problem(2), problem(5))
    assert item.problem(5) is not None and item.problem(5).title == "问题5"  # type: ignore[union-attr]
    assert item.problem(3) is None
    assert item.problem_index(5) == 1
    with pytest.raises(KeyError):
        item.problem_index(3)


# --------------------------------------------------------------------------- the file model


def test_dates_are_parsed_and_checked() -> None:
    assert parse_day("2026-03-15") == D("2026-03-15")
    assert parse_day(D("2026-03-15")) == D("2026-03-15")
    for bad, message in [("2026-02-30", "日期 2026-02-30 不存在（请核对月份和天数）"),
                         ("2026/03/15", "日期应写成 YYYY-MM-DD，例如 2026-03-15，现为 '2026/03/15'"),
                         ("2026-3-15", "日期应写成 YYYY-MM-DD，例如 2026-03-15，现为 '2026-3-15'"),
                         (20260315, "日期应写成 YYYY-MM-DD，例如 2026-03-15，现为 20260315")]:
        with pytest.raises(Exception) as caught:
            parse_day(bad)
        assert caught.value.message() == message  # type: ignore[attr-defined]


def test_problem_id_must_be_a_positive_integer() -> None:
    with pytest.raises(ValidationError) as caught:
        problem(id="abc")  # type: ignore[arg-type]
    assert caught.value.errors()[0]["msg"] == "问题编号应为正整数，现为 'abc'"
    with pytest.raises(ValidationError, match="问题编号应为正整数，现为 True"):
        problem(id=True)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="greater_than"):
        problem(0)


def test_bare_number_category_means_the_code() -> None:
    assert problem(category=10).category == "10"
    item = ledger(categories=[10, "9"])
    assert item.categories == ["10", "9"]


def test_unknown_keys_are_refused_everywhere() -> None:
    for build in (lambda: problem(colour="红"),
                  lambda: ledger(extra=1),
                  lambda: Step.model_validate({"on": "2026-04-01", "text": "x", "by": "y"}),
                  lambda: Closure.model_validate({"on": "2026-04-01", "result": "x", "who": 1}),
                  lambda: Reopening.model_validate({"on": "2026-04-01", "reason": "x", "z": 1})):
        with pytest.raises(ValidationError, match="extra_forbidden"):
            build()


def test_text_is_kept_exactly() -> None:
    hostile = " 前后空格 \n第二行\t😀\u200f"
    assert problem(title=hostile).title == hostile
    with pytest.raises(ValidationError):
        problem(title="")


def test_to_data_leaves_out_empty_and_unset_in_file_order() -> None:
    p = problem(steps=["2026-04-01"], closures=[("2026-06-20", None)], source="群众反映")
    assert p.to_data() == {
        "id": 1, "round": "2026", "title": "问题1", "category": "10", "source": "群众反映",
        "found_on": D("2026-03-10"), "due": D("2026-06-30"), "owner": "王五",
        "steps": [{"on": D("2026-04-01"), "text": "进展"}],
        "closures": [{"on": D("2026-06-20"), "result": "整改到位"}],
    }
    # an empty 责任清单 is left out too, like every empty value
    assert list(ledger().to_data()) == ["schema_version", "name", "kind", "township",
                                        "designations"]
    assert ledger().to_data()["designations"] == [
        {"round": "2026", "on": D("2026-03-15"), "categories": ["10"]}]


def test_config_defaults_and_codes() -> None:
    config = Config.model_validate({"schema_version": 2, "county": "示范县", "issuer": "组织部",
                                    "doc_prefix": "示组通", "categories": {1: "一", "11": "村霸"}})
    assert config.categories == {"1": "一", "11": "村霸"}
    assert config.sources == list(DEFAULT_SOURCES)
    assert config.timezone == "Asia/Shanghai"
    with pytest.raises(ValidationError, match="时区 Mars/Olympus 无法识别"):
        Config.model_validate({**config.model_dump(), "timezone": "Mars/Olympus"})


def test_label_names_places_in_chinese() -> None:
    assert label(("problems", 1, "due")) == "问题清单第2项·整改时限"
    assert label(("problems", 0, "closures", 2, "reopened", "on")) == \
        "问题清单第1项·销号记录第3项·反弹记录·日期"
    assert label(("colour",)) == "colour"
    assert label(()) == ""


# --------------------------------------------------------------------------- rules


def test_a_consistent_ledger_has_no_findings() -> None:
    item = ledger(
        problem(1, steps=["2026-04-01", "2026-05-01"],
                closures=[("2026-06-20", "2026-08-01"), ("2026-09-01", None)]),
        problem(2, steps=["2026-04-01"], closures=[("2026-04-01", None)]),
        acceptances=[("2026-10-20", "合格")],
    )
    assert findings(item) == []


def test_rule_category_not_in_catalog() -> None:
    item = ledger(problem(category="99"), categories=["10", "98"])
    assert [(path, message[:13]) for path, message in findings(item)] == [
        (("designations", 0, "categories", 1), "类型 98 不在类型目录中"),
        (("problems", 0, "category"), "类型 99 不在类型目录中"),
    ]


def test_rule_source_not_in_catalog() -> None:
    assert findings(ledger(problem(source="路边听说"))) == [
        (("problems", 0, "source"), "来源“路边听说”不在来源目录中")]
    assert findings(ledger(problem(source="群众反映"))) == []


def test_rule_future_dates() -> None:
    item = ledger(problem(found="2026-11-22", due="2026-12-31"), designated_on="2026-11-22")
    assert findings(item) == [
        (("designations", 0, "on"), "日期 2026-11-22 晚于今天（2026-11-21），不能记录未来的事"),
        (("problems", 0, "found_on"), "日期 2026-11-22 晚于今天（2026-11-21），不能记录未来的事"),
    ]
    assert findings(ledger(problem(found="2026-11-21", due="2027-06-30"))) == []


def test_rule_due_before_found() -> None:
    assert findings(ledger(problem(found="2026-03-10", due="2026-03-09"))) == [
        (("problems", 0, "due"), "整改时限 2026-03-09 早于发现日期 2026-03-10")]
    assert findings(ledger(problem(found="2026-03-10", due="2026-03-10"))) == []


def test_rule_step_before_found_and_out_of_order() -> None:
    item = ledger(problem(steps=["2026-03-09", "2026-05-01", "2026-04-01"]))
    assert findings(item) == [
        (("problems", 0, "steps", 0, "on"), "整改进展日期 2026-03-09 早于发现日期 2026-03-10"),
        (("problems", 0, "steps", 2, "on"), "整改进展日期 2026-04-01 早于上一条进展（2026-05-01）"),
    ]


def test_steps_after_a_closure_are_follow_ups_not_errors() -> None:
    # 巩固: a step dated after the closure is a follow-up while the problem stays closed. The
    # file cannot tell it from a closure made too early; ``close`` refuses that when recording
    # and ``audit`` notes it (closure_before_step), so ``check`` does not flag it.
    item = ledger(problem(steps=["2026-05-01"], closures=[("2026-04-30", None)]))
    assert findings(item) == []
    same_day = ledger(problem(steps=["2026-05-01"], closures=[("2026-05-01", None)]))
    assert findings(same_day) == []


def test_rule_closure_before_found() -> None:
    item = ledger(problem(found="2026-03-10", closures=[("2026-03-09", None)]))
    assert findings(item) == [
        (("problems", 0, "closures", 0, "on"), "销号日期 2026-03-09 早于发现日期 2026-03-10")]


def test_rule_reopening_before_closure_and_closure_before_reopening() -> None:
    item = ledger(problem(closures=[("2026-06-20", "2026-06-19"), ("2026-06-18", None)]))
    assert findings(item) == [
        (("problems", 0, "closures", 0, "reopened", "on"),
         "反弹日期 2026-06-19 早于销号日期 2026-06-20"),
        (("problems", 0, "closures", 1, "on"), "销号日期 2026-06-18 早于上次反弹日期 2026-06-19"),
    ]


def test_rule_only_the_last_closure_may_lack_reopened() -> None:
    item = ledger(problem(closures=[("2026-06-20", None), ("2026-07-01", "2026-07-05"),
                                    ("2026-07-10", None)]))
    assert findings(item) == [
        (("problems", 0, "closures", 0), "只有最后一次销号可以没有反弹记录")]
    reopened_last = ledger(problem(closures=[("2026-06-20", "2026-07-01")]))
    assert findings(reopened_last) == []


def test_rule_steps_after_a_reopening_belong_to_the_next_closure() -> None:
    item = ledger(problem(steps=["2026-04-01", "2026-09-01"],
                          closures=[("2026-06-20", "2026-08-01"), ("2026-08-15", None)]))
    assert findings(item) == []  # the 09-01 step is a follow-up after the second closure


def test_rule_duplicate_problem_ids() -> None:
    item = ledger(problem(1), problem(2), problem(1))
    assert findings(item) == [(("problems", 2, "id"), "问题编号 1 重复")]


def test_rule_qualified_acceptance_needs_every_problem_closed() -> None:
    item = ledger(
        problem(1, closures=[("2026-10-01", None)]),
        problem(2, closures=[("2026-10-01", "2026-10-15")]),   # reopened before acceptance
        problem(3),                                             # still open
        problem(4, found="2026-10-21", due="2026-12-31"),      # found after acceptance
        problem(5, closures=[("2026-10-21", None)]),            # closed only after it
        acceptances=[("2026-10-20", "合格")],
    )
    assert findings(item) == [
        (("acceptances", 0, "grade"), "验收为合格，但当日仍有问题未销号：2号、3号、5号")]
    for grade in ("基本合格", "不合格"):
        item = ledger(problem(1), acceptances=[("2026-10-20", grade)])
        assert findings(item) == []


def test_rule_evidence_uses_the_callback() -> None:
    p = problem(steps=[{"on": "2026-04-01", "text": "进展", "evidence": ["evidence/a.jpg"]}],
                closures=[{"on": "2026-06-20", "result": "整改到位",
                           "evidence": ["evidence/b.jpg", "/abs.jpg"]}])
    item = ledger(p, visits=[{"on": "2026-05-10", "kind": "督查", "by": "组织部", "text": "督查",
                              "evidence": ["evidence/c.jpg"]}])
    seen: list[str] = []

    def check(path: str) -> str | None:
        seen.append(path)
        return "不行" if path != "evidence/b.jpg" else None

    assert findings(item, check) == [
        (("problems", 0, "steps", 0, "evidence", 0), "不行"),
        (("problems", 0, "closures", 0, "evidence", 1), "不行"),
        (("visits", 0, "evidence", 0), "不行"),
    ]
    assert seen == ["evidence/a.jpg", "evidence/b.jpg", "/abs.jpg", "evidence/c.jpg"]
    assert findings(item) == []  # no callback: evidence is not judged


def test_rule_future_visit_acceptance_and_reopening() -> None:
    item = ledger(problem(closures=[("2026-06-20", "2026-11-22")]),
                  visits=[{"on": "2026-11-22", "kind": "调度", "by": "镇党委", "text": "调度"}],
                  acceptances=[("2026-11-22", "不合格")])
    assert [path for path, _ in findings(item)] == [
        ("problems", 0, "closures", 0, "reopened", "on"),
        ("visits", 0, "on"),
        ("acceptances", 0, "on"),
    ]


def test_rule_steps_after_a_reopening_do_not_count_against_the_earlier_closure() -> None:
    # closed with no step, came back, rectified again: the new step belongs to the next period
    item = ledger(problem(found="2026-01-01", steps=["2026-10-29"], closures=[("2026-02-10", "2026-02-11")]))
    assert findings(item) == []
    closed_again = ledger(problem(found="2026-01-01", steps=["2026-10-29"],
                                  closures=[("2026-02-10", "2026-02-11"), ("2026-10-30", None)]))
    assert findings(closed_again) == []
    # a step between the closure and its reopening is a follow-up while it stood closed
    between = ledger(problem(found="2026-01-01", steps=["2026-02-20"], closures=[("2026-02-10", "2026-03-01")]))
    assert findings(between) == []
