"""The ledger's data model: what the files hold, what state follows from it, which rules hold.

Pure: imports nothing of zhengdun's but the error types' names, does no I/O. Dates are
``datetime.date``. State (open, closed, overdue, stage) is computed from recorded events and
never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1

KINDS = ("村", "社区")
VISIT_KINDS = ("督查", "调度", "约谈", "回头看")
GRADES = ("合格", "基本合格", "不合格")

#: The ten central categories (中组发〔2014〕5号, as counted in the 党内统计 form).
CENTRAL_CATEGORIES: dict[str, str] = {
    "1": "党组织班子配备不齐、书记长期缺职、工作处于停滞状态",
    "2": "党组织书记不胜任现职、工作不在状态、严重影响班子整体战斗力",
    "3": "班子不团结、内耗严重、工作不能正常开展",
    "4": "组织制度形同虚设、不开展党组织活动",
    "5": "换届选举拉票贿选问题突出",
    "6": "宗族宗教和黑恶势力干扰渗透严重",
    "7": "村务居务财务公开和民主管理混乱",
    "8": "社会治安问题和信访矛盾纠纷集中",
    "9": "无固定办公活动场所及便民服务设施",
    "10": "党组织服务意识差、服务能力弱、群众意见大",
}

DEFAULT_SOURCES = (
    "排查发现",
    "群众反映",
    "督查发现",
    "巡察反馈",
    "信访举报",
    "上级交办",
    "自查自纠",
)

#: Chinese names of the file's keys, for messages.
FIELD_LABELS: dict[str, str] = {
    "schema_version": "格式版本",
    "name": "名称",
    "kind": "类别",
    "township": "所属乡镇",
    "designated_on": "认定日期",
    "categories": "软弱涣散类型",
    "responsibility": "责任清单",
    "county_leader": "包联县级领导",
    "township_lead": "包村乡镇领导",
    "branch_secretary": "党组织书记",
    "first_secretary": "第一书记",
    "paired_units": "结对帮扶单位",
    "work_team": "驻村工作队",
    "problems": "问题清单",
    "id": "问题编号",
    "title": "问题",
    "category": "类型",
    "source": "来源",
    "found_on": "发现日期",
    "due": "整改时限",
    "owner": "责任人",
    "measures": "整改措施",
    "steps": "整改进展",
    "on": "日期",
    "text": "内容",
    "evidence": "佐证材料",
    "closures": "销号记录",
    "result": "整改结果",
    "verified_by": "验收人",
    "reopened": "反弹记录",
    "reason": "反弹原因",
    "visits": "督查调度记录",
    "by": "人员或单位",
    "acceptances": "验收记录",
    "grade": "验收等次",
    "score": "得分",
    "note": "备注",
    "county": "县名",
    "issuer": "发文机关",
    "doc_prefix": "文号代字",
    "timezone": "时区",
    "sources": "问题来源",
    "next_steps": "下步工作要求",
    "stage": "阶段",
}

_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value: object) -> date:
    """Accept a ``date`` or a ``YYYY-MM-DD`` string naming a real day."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DAY_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "day_invalid", "日期 {value} 不存在（请核对月份和天数）", {"value": value}
            ) from None
    raise PydanticCustomError(
        "day_format", "日期应写成 YYYY-MM-DD，例如 2026-03-15，现为 {value}",
        {"value": repr(value)},  # pydantic fills in {name} only, not {name!r}
    )


def _code(value: object) -> object:
    """Category codes are text; a bare number typed by hand (``category: 10``) means the same.

    Not a number YAML read from another spelling (``0x9``, ``0o11``, ``010``): the reader
    keeps it as ``spelling``, and the code meant is that text, not the number.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        spelling = getattr(value, "spelling", None)
        if isinstance(spelling, str):
            raise PydanticCustomError(
                "code_spelling",
                "类型代码 {spelling} 会被读成数字 {number}，不是类型代码 {spelling}",
                {"spelling": spelling, "number": int(value)})
        return str(value)
    return value


Day = Annotated[date, BeforeValidator(parse_day)]
Code = Annotated[str, BeforeValidator(_code)]
Text = Annotated[str, Field(min_length=1)]


class Record(BaseModel):
    """Base of every file model: unknown keys are errors, text is kept exactly as typed."""

    model_config = ConfigDict(extra="forbid", strict=False, validate_default=False)

    def to_data(self) -> dict[str, Any]:
        """Plain data in file order, leaving out empty lists and unset optional keys."""
        plain: dict[str, Any] = _plain(self)
        return plain


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for name in type(value).model_fields:
            item = _plain(getattr(value, name))
            if item is None or (isinstance(item, list | dict) and not item):
                continue  # unset and empty are left out of the file
            out[name] = item
        return out
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Step(Record):
    """整改进展: one rectification step."""

    on: Day
    text: Text
    evidence: list[Text] = Field(default_factory=list)


class Reopening(Record):
    """反弹: a closed problem came back."""

    on: Day
    reason: Text


class Closure(Record):
    """销号: the problem was rectified, verified, and closed."""

    on: Day
    result: Text
    verified_by: Text | None = None
    evidence: list[Text] = Field(default_factory=list)
    reopened: Reopening | None = None


ProblemState = Literal["open", "closed", "reopened"]
STATE_LABELS: dict[str, str] = {"open": "整改中", "closed": "已销号", "reopened": "反弹"}


class Problem(Record):
    """问题清单中的一项: a problem, its measures, steps and closures."""

    id: Annotated[int, Field(gt=0)]
    title: Text
    category: Code
    source: Text | None = None
    found_on: Day
    due: Day
    owner: Text
    measures: list[Text] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    closures: list[Closure] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _int_id(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PydanticCustomError("id_type", "问题编号应为正整数，现为 {value}",
                                      {"value": repr(value)})
        return value

    def state_on(self, day: date | None = None) -> ProblemState:
        """open / closed / reopened, counting only events dated on or before ``day``."""
        closures = [c for c in self.closures if day is None or c.on <= day]
        if not closures:
            return "open"
        last = closures[-1]
        if last.reopened is not None and (day is None or last.reopened.on <= day):
            return "reopened"
        return "closed"

    def is_closed_on(self, day: date | None = None) -> bool:
        """Whether the problem stands closed (已销号) on ``day``."""
        return self.state_on(day) == "closed"

    def exists_on(self, day: date | None) -> bool:
        """Whether the problem had been found by ``day``."""
        return day is None or self.found_on <= day

    def is_overdue_on(self, day: date) -> bool:
        """逾期: found, not closed on ``day``, and its deadline before ``day``."""
        return self.exists_on(day) and not self.is_closed_on(day) and self.due < day

    def days_overdue_on(self, day: date) -> int:
        """How many days past its deadline the problem is on ``day`` (0 when not overdue)."""
        return (day - self.due).days if self.is_overdue_on(day) else 0

    def closed_on(self, day: date | None = None) -> date | None:
        """The date of the closure that stands on ``day``, if the problem is closed then."""
        if not self.is_closed_on(day):
            return None
        return [c for c in self.closures if day is None or c.on <= day][-1].on

    def last_activity(self, day: date | None = None) -> date | None:
        """The latest step, closure or reopening dated on or before ``day``."""
        dates = [s.on for s in self.steps] + [c.on for c in self.closures]
        dates += [c.reopened.on for c in self.closures if c.reopened is not None]
        dates = [d for d in dates if day is None or d <= day]
        return max(dates) if dates else None


class Visit(Record):
    """督查 / 调度 / 约谈 / 回头看 record."""

    on: Day
    kind: Literal["督查", "调度", "约谈", "回头看"]
    by: Text
    text: Text
    evidence: list[Text] = Field(default_factory=list)


class Acceptance(Record):
    """验收: the township's 初验 or the county's 复核, with a grade."""

    on: Day
    by: Text
    grade: Literal["合格", "基本合格", "不合格"]
    score: Annotated[float, Field(ge=0, le=100)] | None = None
    note: Text | None = None


class Responsibility(Record):
    """责任清单: the "四个一" forces assigned to one organization."""

    county_leader: Text | None = None
    township_lead: Text | None = None
    branch_secretary: Text | None = None
    first_secretary: Text | None = None
    paired_units: list[Text] = Field(default_factory=list)
    work_team: Text | None = None


Stage = Literal["整顿中", "已转化", "巩固提升", "重新整顿"]
_STAGE_BY_GRADE: dict[str, Stage] = {"合格": "已转化", "基本合格": "巩固提升", "不合格": "重新整顿"}


class Ledger(Record):
    """一村一档: everything recorded about one village (村) or community (社区)."""

    schema_version: Literal[1]
    name: Text
    kind: Literal["村", "社区"]
    township: Text
    designated_on: Day
    categories: Annotated[list[Code], Field(min_length=1)]
    responsibility: Responsibility = Field(default_factory=lambda: Responsibility())
    problems: list[Problem] = Field(default_factory=list)
    visits: list[Visit] = Field(default_factory=list)
    acceptances: list[Acceptance] = Field(default_factory=list)

    def problem(self, pid: int) -> Problem | None:
        """The problem numbered ``pid``, if any."""
        for problem in self.problems:
            if problem.id == pid:
                return problem
        return None

    def problem_index(self, pid: int) -> int:
        """Position of problem ``pid`` in the file's list."""
        for index, problem in enumerate(self.problems):
            if problem.id == pid:
                return index
        raise KeyError(pid)

    def next_problem_id(self) -> int:
        """Ids are never reused: one more than the largest ever given."""
        return max((p.id for p in self.problems), default=0) + 1

    def stage_on(self, day: date | None = None) -> Stage:
        """整顿中 / 已转化 / 巩固提升 / 重新整顿, from the last acceptance on or before ``day``."""
        graded = [a for a in self.acceptances if day is None or a.on <= day]
        if not graded:
            return "整顿中"
        return _STAGE_BY_GRADE[graded[-1].grade]

    def last_activity(self, day: date | None = None) -> date | None:
        """The latest step, closure, reopening or visit dated on or before ``day``."""
        dates = [d for p in self.problems if (d := p.last_activity(day)) is not None]
        dates += [v.on for v in self.visits if day is None or v.on <= day]
        return max(dates) if dates else None


class Clerk(Record):
    """一位同志 who records in a shared workspace: their git identity, the SSH public key their
    commits are signed with (optional), and the townships they answer for (none named: all)."""

    name: Text
    email: Text
    signing_key: Text | None = None
    townships: list[Text] = Field(default_factory=list)


class Config(Record):
    """zhengdun.yaml: the county, the issuing office, the catalog of categories and sources;
    for a workspace several clerks share, who they are and whether commits must be signed."""

    schema_version: Literal[1]
    county: Text
    issuer: Text
    doc_prefix: Text
    timezone: Text = "Asia/Shanghai"
    categories: dict[Code, Text]
    sources: list[Text] = Field(default_factory=lambda: list(DEFAULT_SOURCES))
    next_steps: Text | None = None
    backfill_days: Annotated[int, Field(ge=0)] = 7
    clerks: list[Clerk] = Field(default_factory=list)
    signing: Literal["required", "optional"] = "optional"

    @field_validator("categories", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        if isinstance(value, dict):
            return {_code(k): v for k, v in value.items()}
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "timezone", "时区 {value} 无法识别，一般应为 Asia/Shanghai", {"value": value}
            ) from None
        return value


# --------------------------------------------------------------------------- rules

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """A rule broken at ``path`` inside a file's data; the loader turns paths into lines."""

    path: Path
    message: str
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"


def ledger_findings(
    ledger: Ledger,
    config: Config,
    today: date,
    evidence_exists: Any = None,
) -> list[Finding]:
    """Every rule of the ledger file that does not hold, as findings.

    ``evidence_exists`` is a callable ``str -> str | None`` returning a message when an
    evidence path is not acceptable; it keeps file access out of the model.
    """
    out: list[Finding] = []
    catalog = config.categories

    def future(path: Path, day: date) -> None:
        if day > today:
            out.append(Finding(path, f"日期 {day} 晚于今天（{today}），不能记录未来的事",
                               "请核对日期"))

    def evidence(path: Path, items: list[str]) -> None:
        if evidence_exists is None:
            return
        for i, item in enumerate(items):
            problem = evidence_exists(item)
            if problem:
                out.append(Finding((*path, "evidence", i), problem))

    for i, code in enumerate(ledger.categories):
        if code not in catalog:
            out.append(Finding(("categories", i), f"类型 {code} 不在类型目录中",
                               f"可用的类型：{_catalog_list(catalog)}"))
    future(("designated_on",), ledger.designated_on)

    seen: dict[int, int] = {}
    for pi, problem in enumerate(ledger.problems):
        base: Path = ("problems", pi)
        if problem.id in seen:
            out.append(Finding((*base, "id"), f"问题编号 {problem.id} 重复",
                               "问题编号不能重复，也不能重新编号；请给新问题用新的编号"))
        seen[problem.id] = pi
        if problem.category not in catalog:
            out.append(Finding((*base, "category"), f"类型 {problem.category} 不在类型目录中",
                               f"可用的类型：{_catalog_list(catalog)}"))
        if problem.source is not None and problem.source not in config.sources:
            out.append(Finding((*base, "source"), f"来源“{problem.source}”不在来源目录中",
                               f"可用的来源：{'、'.join(config.sources)}"))
        future((*base, "found_on"), problem.found_on)
        if problem.due < problem.found_on:
            out.append(Finding((*base, "due"),
                               f"整改时限 {problem.due} 早于发现日期 {problem.found_on}"))
        last_step: date | None = None
        for si, step in enumerate(problem.steps):
            spath: Path = (*base, "steps", si, "on")
            future(spath, step.on)
            if step.on < problem.found_on:
                out.append(Finding(spath, f"整改进展日期 {step.on} 早于发现日期 {problem.found_on}"))
            if last_step is not None and step.on < last_step:
                out.append(Finding(spath, f"整改进展日期 {step.on} 早于上一条进展（{last_step}）",
                                   "整改进展应按日期先后记录"))
            last_step = step.on if last_step is None else max(last_step, step.on)
            evidence((*base, "steps", si), step.evidence)
        previous_reopen: date | None = None
        for ci, closure in enumerate(problem.closures):
            cpath: Path = (*base, "closures", ci)
            future((*cpath, "on"), closure.on)
            if closure.on < problem.found_on:
                out.append(Finding((*cpath, "on"),
                                   f"销号日期 {closure.on} 早于发现日期 {problem.found_on}"))
            # A step dated after a closure is a follow-up while the problem stays closed
            # (巩固), so the file cannot tell a late closure from one: ``close`` refuses a
            # closure dated before the last step when it is recorded, and ``audit`` notes it.
            if previous_reopen is not None and closure.on < previous_reopen:
                out.append(Finding((*cpath, "on"),
                                   f"销号日期 {closure.on} 早于上次反弹日期 {previous_reopen}"))
            if closure.reopened is not None:
                future((*cpath, "reopened", "on"), closure.reopened.on)
                if closure.reopened.on < closure.on:
                    out.append(Finding((*cpath, "reopened", "on"),
                                       f"反弹日期 {closure.reopened.on} 早于销号日期 {closure.on}"))
                previous_reopen = closure.reopened.on
            elif ci != len(problem.closures) - 1:
                out.append(Finding(cpath, "只有最后一次销号可以没有反弹记录",
                                   "问题销号后再次销号之前，应先记录反弹（zhengdun reopen）"))
            evidence(cpath, closure.evidence)

    for vi, visit in enumerate(ledger.visits):
        future(("visits", vi, "on"), visit.on)
        evidence(("visits", vi), visit.evidence)

    for ai, acceptance in enumerate(ledger.acceptances):
        apath: Path = ("acceptances", ai)
        future((*apath, "on"), acceptance.on)
        if acceptance.grade == "合格":
            still_open = [p.id for p in ledger.problems
                          if p.exists_on(acceptance.on) and not p.is_closed_on(acceptance.on)]
            if still_open:
                numbers = "、".join(f"{n}号" for n in still_open)
                out.append(Finding((*apath, "grade"),
                                   f"验收为合格，但当日仍有问题未销号：{numbers}",
                                   "问题全部销号后才能验收合格"))
    return out


def evidence_refs(ledger: Ledger) -> list[str]:
    """Every evidence path the ledger names, in file order (what ``ledger_findings`` checks)."""
    refs: list[str] = []
    for problem in ledger.problems:
        for step in problem.steps:
            refs += step.evidence
        for closure in problem.closures:
            refs += closure.evidence
    for visit in ledger.visits:
        refs += visit.evidence
    return refs


def latest_date(ledger: Ledger) -> date | None:
    """The latest date the file records an event on (deadlines aside): no day before it may
    judge the file, since every such date must not lie in the future."""
    dates = [ledger.designated_on]
    for problem in ledger.problems:
        dates.append(problem.found_on)
        dates += [s.on for s in problem.steps]
        for closure in problem.closures:
            dates.append(closure.on)
            if closure.reopened is not None:
                dates.append(closure.reopened.on)
    dates += [v.on for v in ledger.visits] + [a.on for a in ledger.acceptances]
    return max(dates)


def _catalog_list(catalog: dict[str, str]) -> str:
    return "；".join(f"{code} {name}" for code, name in catalog.items())


def label(path: Path) -> str:
    """A Chinese name for the place ``path`` points at, e.g. ``问题清单第2项·整改时限``."""
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}第{part + 1}项"]
        else:
            parts.append(FIELD_LABELS.get(part, part))
    return "·".join(parts)
