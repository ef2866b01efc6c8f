"""The ledger's data model: what the files hold, what state follows from it, which rules hold.

Pure: imports nothing of zhengdun's but :mod:`zhengdun.rules` (plain rules over plain values,
so both front ends and the model judge alike), does no I/O. Dates are
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

from zhengdun import rules

SCHEMA_VERSION = 2

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
    "designations": "认定记录",
    "round": "整顿批次",
    "rounds": "整顿批次",
    "start": "开始日期",
    "end": "结束日期",
    "proposed": "乡镇党委提出",
    "preliminary": "县委组织部初定",
    "approved": "县委常委会审定",
    "doc": "文号",
    "categories": "软弱涣散类型",
    "responsibility": "责任清单",
    "county_leader": "包联县级领导",
    "township_lead": "包村乡镇领导",
    "branch_secretary": "党组织书记",
    "first_secretary": "第一书记",
    "paired_units": "结对帮扶单位",
    "work_team": "驻村工作队",
    "first_secretary_unit": "第一书记派出单位",
    "first_secretary_since": "第一书记驻村起始日期",
    "first_secretary_until": "第一书记驻村结束日期",
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
    "recipients": "主送机关",
    "stage": "阶段",
    "import_columns": "导入表头对照",
    "extensions": "延期记录",
    "to": "延期至",
    "approved_by": "批准人",
    "satisfied": "满意票",
    "basically_satisfied": "基本满意票",
    "unsatisfied": "不满意票",
    "redo_by": "重新整顿时限",
    "acceptance": "验收标准",
    "pass_score": "合格分数线",
    "basic_score": "基本合格分数线",
    "veto_unsatisfied_share": "不满意票否决比例",
    "consolidation": "巩固期",
    "period_months": "巩固期月数",
    "review_months": "回头看间隔月数",
    "notices": "整改通知书和督办单",
    "number": "文号",
    "reply_by": "回复期限",
    "reply": "回复",
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


def _round_text(value: object) -> object:
    """A round's name is text; ``round: 2026`` typed by hand means the round ``2026``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Day = Annotated[date, BeforeValidator(parse_day)]
Code = Annotated[str, BeforeValidator(_code)]
Text = Annotated[str, Field(min_length=1)]
RoundName = Annotated[str, BeforeValidator(_round_text), Field(min_length=1)]


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
    # sha256 of each evidence file when it was attached (optional: files of earlier versions
    # have none); ``audit`` names a file whose content changed or that is gone.
    evidence_sha256: dict[Text, Text] = Field(default_factory=dict)


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
    # sha256 of each evidence file when it was attached (optional: files of earlier versions
    # have none); ``audit`` names a file whose content changed or that is gone.
    evidence_sha256: dict[Text, Text] = Field(default_factory=dict)
    reopened: Reopening | None = None


class Extension(Record):
    """延期: an approved extension of a problem's 整改时限 (the original ``due`` is kept)."""

    on: Day
    to: Day
    reason: Text
    approved_by: Text


class Measure(Record):
    """任务清单中的一项: a measure with its own owner and deadline (a measure may also be
    plain text, as the first wave wrote it)."""

    text: Text
    owner: Text | None = None
    due: Day | None = None

    def __str__(self) -> str:
        extra = "，".join(x for x in (self.owner and f"责任人{self.owner}",
                                      self.due and f"时限{self.due}") if x)
        return f"{self.text}（{extra}）" if extra else self.text


ProblemState = Literal["open", "closed", "reopened"]
STATE_LABELS: dict[str, str] = {"open": "整改中", "closed": "已销号", "reopened": "反弹"}


class Problem(Record):
    """问题清单中的一项: a problem, its measures, steps and closures."""

    id: Annotated[int, Field(gt=0)]
    round: RoundName
    title: Text
    category: Code
    source: Text | None = None
    found_on: Day
    due: Day
    owner: Text
    measures: list[Text | Measure] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    closures: list[Closure] = Field(default_factory=list)
    extensions: list[Extension] = Field(default_factory=list)

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

    def deadline_on(self, day: date | None = None) -> date:
        """The 整改时限 that holds on ``day``: the latest extension approved by then, else ``due``."""
        granted = [e.to for e in self.extensions if day is None or e.on <= day]
        return granted[-1] if granted else self.due

    def is_extended_on(self, day: date | None = None) -> bool:
        """Whether an extension (延期) had been approved by ``day``."""
        return any(day is None or e.on <= day for e in self.extensions)

    def is_overdue_on(self, day: date) -> bool:
        """逾期: found, not closed on ``day``, and its deadline (after extensions) before ``day``."""
        return self.exists_on(day) and not self.is_closed_on(day) and self.deadline_on(day) < day

    def days_overdue_on(self, day: date) -> int:
        """How many days past its deadline the problem is on ``day`` (0 when not overdue)."""
        return (day - self.deadline_on(day)).days if self.is_overdue_on(day) else 0

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

    round: RoundName
    on: Day
    kind: Literal["督查", "调度", "约谈", "回头看"]
    by: Text
    text: Text
    evidence: list[Text] = Field(default_factory=list)
    # sha256 of each evidence file when it was attached (optional: files of earlier versions
    # have none); ``audit`` names a file whose content changed or that is gone.
    evidence_sha256: dict[Text, Text] = Field(default_factory=dict)


Count = Annotated[int, Field(ge=0)]


class Acceptance(Record):
    """验收: the township's 初验 or the county's 复核, with a grade.

    Without ``stage`` (as v1 files recorded it) an acceptance is the county's verdict."""

    round: RoundName
    on: Day
    by: Text
    stage: Literal["初验", "复核"] | None = None
    grade: Literal["合格", "基本合格", "不合格"]
    score: Annotated[float, Field(ge=0, le=100)] | None = None
    satisfied: Count | None = None  # 民主测评: 满意
    basically_satisfied: Count | None = None  # 基本满意
    unsatisfied: Count | None = None  # 不满意
    redo_by: Day | None = None  # 不合格: 重新整顿 by this day
    note: Text | None = None

    def counts(self) -> tuple[int, int, int] | None:
        """民主测评 (满意, 基本满意, 不满意), when any was recorded."""
        if self.satisfied is None and self.basically_satisfied is None \
                and self.unsatisfied is None:
            return None
        return (self.satisfied or 0, self.basically_satisfied or 0, self.unsatisfied or 0)

    def verdict(self) -> tuple[str | None, str]:
        """(stage, grade): what :func:`zhengdun.rules.is_converted` reads."""
        return self.stage, self.grade


NOTICE_KINDS = ("整改通知书", "督办单")


class Reply(Record):
    """The organization's (or its township's) reply to a notice."""

    on: Day
    text: Text


class Notice(Record):
    """整改通知书 / 督办单 issued to the organization, with its 文号 and reply deadline."""

    number: Text  # 文号
    kind: Literal["整改通知书", "督办单"]
    on: Day
    reply_by: Day
    text: Text
    reply: Reply | None = None

    def awaits_reply_on(self, day: date) -> bool:
        """逾期未回复: issued by ``day``, its reply deadline before ``day``, no reply by then."""
        replied = self.reply is not None and self.reply.on <= day
        return self.on <= day and self.reply_by < day and not replied


class Responsibility(Record):
    """责任清单: the "四个一" forces assigned to one organization."""

    county_leader: Text | None = None
    township_lead: Text | None = None
    branch_secretary: Text | None = None
    first_secretary: Text | None = None
    paired_units: list[Text] = Field(default_factory=list)
    work_team: Text | None = None
    first_secretary_unit: Text | None = None  # 第一书记的派出单位
    first_secretary_since: Day | None = None  # 任职(驻村)起始日期
    first_secretary_until: Day | None = None  # 任职(驻村)结束日期


Stage = Literal["整顿中", "已转化", "巩固提升", "重新整顿", "反弹"]
_STAGES: dict[str, Stage] = {s: s for s in ("整顿中", "已转化", "巩固提升", "重新整顿", "反弹")}


class Endorsement(Record):
    """One step of the 认定 chain (提出 / 初定 / 审定): its date and, where there is one, 文号."""

    on: Day
    doc: Text | None = None


#: The 认定 chain in its order: 乡镇党委提出 → 县委组织部初定 → 县委常委会审定.
CHAIN = ("proposed", "preliminary", "approved")


class Designation(Record):
    """认定: one designation of the organization in one campaign round (批次)."""

    round: RoundName
    on: Day
    categories: Annotated[list[Code], Field(min_length=1)]
    proposed: Endorsement | None = None
    preliminary: Endorsement | None = None
    approved: Endorsement | None = None
    responsibility: Responsibility = Field(default_factory=lambda: Responsibility())


class Ledger(Record):
    """一村一档: everything recorded about one village (村) or community (社区), every round.

    The current round is the last designation; ``designated_on``, ``categories`` and
    ``responsibility`` are those of the current round.
    """

    schema_version: Literal[2]
    name: Text
    kind: Literal["村", "社区"]
    township: Text
    designations: Annotated[list[Designation], Field(min_length=1)]
    problems: list[Problem] = Field(default_factory=list)
    visits: list[Visit] = Field(default_factory=list)
    acceptances: list[Acceptance] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)

    @property
    def current(self) -> Designation:
        """The designation of the current round (the last one)."""
        return self.designations[-1]

    @property
    def round(self) -> str:
        """The current round's name."""
        return self.designations[-1].round

    @property
    def designated_on(self) -> date:
        """认定日期 of the current round."""
        return self.designations[-1].on

    @property
    def categories(self) -> list[str]:
        """软弱涣散类型 of the current round."""
        return self.designations[-1].categories

    @property
    def responsibility(self) -> Responsibility:
        """责任清单 of the current round."""
        return self.designations[-1].responsibility

    def rounds(self) -> list[str]:
        """The rounds the organization was designated in, oldest first."""
        return [d.round for d in self.designations]

    def designation(self, name: str) -> Designation | None:
        """The designation of round ``name``, if the organization had one."""
        for item in self.designations:
            if item.round == name:
                return item
        return None

    def in_round(self, name: str) -> Ledger:
        """The ledger as one round saw it: that round current, only that round's records.

        Reading commands work on this view, so every count and stage is of one round.
        """
        index = self.rounds().index(name)
        return self.model_copy(update={
            "designations": self.designations[:index + 1],
            "problems": [p for p in self.problems if p.round == name],
            "visits": [v for v in self.visits if v.round == name],
            "acceptances": [a for a in self.acceptances if a.round == name]})

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

    def acceptances_on(self, day: date | None = None) -> list[Acceptance]:
        """The acceptances dated on or before ``day``, in file order."""
        return [a for a in self.acceptances if day is None or a.on <= day]

    def converted_on(self, day: date | None = None) -> date | None:
        """The day of the 复核 that made the organization 已转化, if it stands on ``day``."""
        graded = self.acceptances_on(day)
        if not rules.is_converted([a.verdict() for a in graded]):
            return None
        return [a for a in graded if a.stage != "初验"][-1].on

    def relapsed_on(self, day: date | None = None) -> bool:
        """反弹: converted, and a problem reopened since then stands reopened on ``day``."""
        since = self.converted_on(day)
        if since is None:
            return False
        for problem in self.problems:
            if problem.state_on(day) != "reopened":
                continue
            reopening = [c for c in problem.closures if day is None or c.on <= day][-1].reopened
            if reopening is not None and reopening.on >= since:
                return True
        return False

    def stage_on(self, day: date | None = None) -> Stage:
        """整顿中 / 已转化 / 巩固提升 / 重新整顿 / 反弹, from the acceptances on or before ``day``
        (see :func:`zhengdun.rules.org_stage`)."""
        stage = rules.org_stage([a.verdict() for a in self.acceptances_on(day)],
                                self.relapsed_on(day))
        return _STAGES[stage]

    def redo_by_on(self, day: date | None = None) -> date | None:
        """重新整顿: the new deadline of the county's 不合格 that stands on ``day``."""
        if self.stage_on(day) != "重新整顿":
            return None
        return [a for a in self.acceptances_on(day) if a.stage != "初验"][-1].redo_by

    def review_due_on(self, day: date, config: Config) -> date | None:
        """巩固期: when the next 回头看 is due on ``day`` (None outside the consolidation period)."""
        since = self.converted_on(day)
        if since is None:
            return None
        reviews = [v.on for v in self.visits if v.kind == "回头看" and since <= v.on <= day]
        return rules.review_due(since, reviews, config.consolidation.period_months,
                                config.consolidation.review_months)

    def last_activity(self, day: date | None = None) -> date | None:
        """The latest step, closure, reopening or visit dated on or before ``day``."""
        dates = [d for p in self.problems if (d := p.last_activity(day)) is not None]
        dates += [v.on for v in self.visits if day is None or v.on <= day]
        return max(dates) if dates else None


class Round(Record):
    """整顿批次: one campaign round named in the config, e.g. ``2026`` or ``2026-第二批``."""

    name: RoundName
    start: Day
    end: Day | None = None


class AcceptanceStandard(Record):
    """验收标准 in zhengdun.yaml: a pass line, and the 民主测评 veto (e.g. 淳化: score ≥ 70
    passes; more than half 不满意 fails outright). Without ``pass_score`` the score is not
    weighed against the grade."""

    pass_score: Annotated[float, Field(ge=0, le=100)] | None = None
    basic_score: Annotated[float, Field(ge=0, le=100)] | None = None
    veto_unsatisfied_share: Annotated[float, Field(gt=0, le=1)] = 0.5


class Consolidation(Record):
    """巩固期 in zhengdun.yaml: how long after 转化, and how often a 回头看 is due."""

    period_months: Annotated[int, Field(ge=1, le=120)] = 12
    review_months: Annotated[int, Field(ge=1, le=120)] = 3


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

    schema_version: Literal[2]
    county: Text
    issuer: Text
    doc_prefix: Text
    timezone: Text = "Asia/Shanghai"
    categories: dict[Code, Text]
    sources: list[Text] = Field(default_factory=lambda: list(DEFAULT_SOURCES))
    next_steps: Text | None = None
    recipients: Text | None = None  # 主送: the bodies a bulletin is addressed to
    backfill_days: Annotated[int, Field(ge=0)] = 7
    chart_font: Text | None = None  # the font family for Chinese labels in charts
    rounds: list[Round] = Field(default_factory=list)

    def round_names(self) -> list[str]:
        """The rounds named in the config, in their order."""
        return [r.name for r in self.rounds]

    def round_on(self, day: date) -> str | None:
        """The round in effect on ``day``: the last one begun by then (else the first one);
        None when the config names no rounds."""
        begun = [r.name for r in self.rounds if r.start <= day]
        if begun:
            return begun[-1]
        return self.rounds[0].name if self.rounds else None
    #: ``import``: header names of this county's 台账, field -> name or names (docs/xlsx.md)
    import_columns: dict[str, str | list[str]] = Field(default_factory=dict)
    acceptance: AcceptanceStandard = Field(default_factory=lambda: AcceptanceStandard())
    consolidation: Consolidation = Field(default_factory=lambda: Consolidation())
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
        refusal = rules.not_in_future(day, today, "日期")
        if refusal is not None:
            out.append(Finding(path, refusal.message, "请核对日期"))

    def evidence(path: Path, items: list[str]) -> None:
        if evidence_exists is None:
            return
        for i, item in enumerate(items):
            problem = evidence_exists(item)
            if problem:
                out.append(Finding((*path, "evidence", i), problem))

    known_rounds = config.round_names()
    designated: dict[str, date] = {}
    for di, item in enumerate(ledger.designations):
        dpath: Path = ("designations", di)
        if item.round in designated:
            out.append(Finding((*dpath, "round"), f"批次 {item.round} 认定了两次",
                               "同一批次只能认定一次；再次认定请用新的批次"))
        elif known_rounds and item.round not in known_rounds:
            out.append(Finding((*dpath, "round"), f"批次 {item.round} 不在配置的整顿批次中",
                               f"配置中的批次：{'、'.join(known_rounds)}；新批次请先写入 "
                               "zhengdun.yaml 的 rounds"))
        if designated and item.on < max(designated.values()):
            out.append(Finding((*dpath, "on"), f"认定日期 {item.on} 早于上一批次的认定日期 "
                               f"{max(designated.values())}", "认定记录按批次先后排列"))
        designated.setdefault(item.round, item.on)
        future((*dpath, "on"), item.on)
        for i, code in enumerate(item.categories):
            if code not in catalog:
                out.append(Finding((*dpath, "categories", i), f"类型 {code} 不在类型目录中",
                                   f"可用的类型：{_catalog_list(catalog)}"))
        chain = [(key, step) for key in CHAIN if (step := getattr(item, key)) is not None]
        for n, (key, step) in enumerate(chain):
            future((*dpath, key, "on"), step.on)
            if n and step.on < chain[n - 1][1].on:
                out.append(Finding((*dpath, key, "on"),
                                   f"{FIELD_LABELS[key]}日期 {step.on} 早于"
                                   f"{FIELD_LABELS[chain[n - 1][0]]}日期 {chain[n - 1][1].on}",
                                   "认定程序为 乡镇党委提出 → 县委组织部初定 → 县委常委会审定"))
        duty = item.responsibility
        if duty.first_secretary_since is not None:
            future((*dpath, "responsibility", "first_secretary_since"), duty.first_secretary_since)
        service = rules.service_refusal(duty.first_secretary_since, duty.first_secretary_until)
        if service is not None:
            out.append(Finding((*dpath, "responsibility", "first_secretary_until"),
                               service.message, service.hint))

    def in_a_round(path: Path, name: str) -> None:
        if name not in designated:
            out.append(Finding((*path, "round"), f"批次 {name} 没有认定记录",
                               f"本村(社区)认定过的批次：{'、'.join(designated)}"))

    seen: dict[int, int] = {}
    for pi, problem in enumerate(ledger.problems):
        base: Path = ("problems", pi)
        if problem.id in seen:
            out.append(Finding((*base, "id"), f"问题编号 {problem.id} 重复",
                               "问题编号不能重复，也不能重新编号；请给新问题用新的编号"))
        seen[problem.id] = pi
        in_a_round(base, problem.round)
        if problem.category not in catalog:
            out.append(Finding((*base, "category"), f"类型 {problem.category} 不在类型目录中",
                               f"可用的类型：{_catalog_list(catalog)}"))
        if problem.source is not None and problem.source not in config.sources:
            out.append(Finding((*base, "source"), f"来源“{problem.source}”不在来源目录中",
                               f"可用的来源：{'、'.join(config.sources)}"))
        future((*base, "found_on"), problem.found_on)
        late = rules.found_first(problem.due, problem.found_on, "整改时限")
        if late is not None:
            out.append(Finding((*base, "due"), late.message))
        for mi, measure in enumerate(problem.measures):
            late = (rules.found_first(measure.due, problem.found_on, "措施时限")
                    if isinstance(measure, Measure) and measure.due is not None else None)
            if late is not None:
                out.append(Finding((*base, "measures", mi, "due"), late.message))
        last_step: date | None = None
        for si, step in enumerate(problem.steps):
            spath: Path = (*base, "steps", si, "on")
            future(spath, step.on)
            early = rules.found_first(step.on, problem.found_on, "整改进展日期")
            if early is not None:
                out.append(Finding(spath, early.message))
            order = (rules.step_order_refusal(step.on, last_step, "整改进展日期")
                     if last_step is not None else None)
            if order is not None:
                out.append(Finding(spath, order.message, "整改进展应按日期先后记录"))
            last_step = step.on if last_step is None else max(last_step, step.on)
            evidence((*base, "steps", si), step.evidence)
        previous_reopen: date | None = None
        for ci, closure in enumerate(problem.closures):
            cpath: Path = (*base, "closures", ci)
            future((*cpath, "on"), closure.on)
            early = rules.found_first(closure.on, problem.found_on, "销号日期")
            if early is not None:
                out.append(Finding((*cpath, "on"), early.message))
            # A step dated after a closure is a follow-up while the problem stays closed
            # (巩固), so the file cannot tell a late closure from one: ``close`` refuses a
            # closure dated before the last step when it is recorded, and ``audit`` notes it.
            if previous_reopen is not None and closure.on < previous_reopen:
                out.append(Finding((*cpath, "on"),
                                   f"销号日期 {closure.on} 早于上次反弹日期 {previous_reopen}"))
            if closure.reopened is not None:
                future((*cpath, "reopened", "on"), closure.reopened.on)
                early = rules.reopen_refusal("", closure.reopened.on, closure.on)
                if early is not None:
                    out.append(Finding((*cpath, "reopened", "on"), early.message))
                previous_reopen = closure.reopened.on
            elif ci != len(problem.closures) - 1:
                out.append(Finding(cpath, "只有最后一次销号可以没有反弹记录",
                                   "问题销号后再次销号之前，应先记录反弹（zhengdun reopen）"))
            evidence(cpath, closure.evidence)
        deadline = problem.due
        for ei, extension in enumerate(problem.extensions):
            epath: Path = (*base, "extensions", ei)
            future((*epath, "on"), extension.on)
            refusal = rules.extend_refusal(f"{problem.id}号问题", extension.on, extension.to,
                                           problem.found_on, deadline, None)
            if refusal is not None:
                out.append(Finding((*epath, "to" if extension.on >= problem.found_on else "on"),
                                   refusal.message, refusal.hint))
            deadline = max(deadline, extension.to)

    issued: set[str] = set()
    for ni, notice in enumerate(ledger.notices):
        npath: Path = ("notices", ni)
        future((*npath, "on"), notice.on)
        refusal = rules.notice_refusal(notice.number, notice.on, notice.reply_by, issued)
        if refusal is not None:
            out.append(Finding((*npath, "number" if notice.number in issued else "reply_by"),
                               refusal.message, refusal.hint))
        issued.add(notice.number)
        if notice.reply is not None:
            future((*npath, "reply", "on"), notice.reply.on)
            replied = rules.reply_refusal(notice.number, notice.reply.on, notice.on, None)
            if replied is not None:
                out.append(Finding((*npath, "reply", "on"), replied.message, replied.hint))

    for vi, visit in enumerate(ledger.visits):
        in_a_round(("visits", vi), visit.round)
        future(("visits", vi, "on"), visit.on)
        evidence(("visits", vi), visit.evidence)

    for ai, acceptance in enumerate(ledger.acceptances):
        apath: Path = ("acceptances", ai)
        in_a_round(apath, acceptance.round)
        future((*apath, "on"), acceptance.on)
        if acceptance.grade == "合格":
            still_open = [p.id for p in ledger.problems if p.round == acceptance.round
                          and p.exists_on(acceptance.on) and not p.is_closed_on(acceptance.on)]
            if still_open:
                numbers = "、".join(f"{n}号" for n in still_open)
                out.append(Finding((*apath, "grade"),
                                   f"验收为合格，但当日仍有问题未销号：{numbers}",
                                   "问题全部销号后才能验收合格"))
        if acceptance.redo_by is not None:
            redo = rules.redo_refusal(acceptance.grade, acceptance.on, acceptance.redo_by)
            if redo is not None:
                out.append(Finding((*apath, "redo_by"), redo.message, redo.hint))
        standard = config.acceptance
        graded = rules.grade_refusal(acceptance.grade, acceptance.score, acceptance.counts(),
                                     standard.pass_score, standard.basic_score,
                                     standard.veto_unsatisfied_share)
        if graded is not None:  # the config's line may have moved since: a reminder only
            out.append(Finding((*apath, "grade"), graded.message, graded.hint, "warning"))
    return out


def seed_findings(ledger: Ledger) -> list[Finding]:
    """The seeds' warnings: 避重就轻 (a designated category with no problem of it) and
    四个一 incomplete (forces not assigned)."""
    out: list[Finding] = []
    current: Path = ("designations", len(ledger.designations) - 1)  # the current round's
    evasive = rules.evasive_categories(
        ledger.categories, [p.category for p in ledger.problems if p.round == ledger.round])
    for code in evasive:
        out.append(Finding((*current, "categories", ledger.categories.index(code)),
                           f"认定类型 {code} 没有登记对应的问题（避重就轻）",
                           f"请对照认定类型补充问题清单：zhengdun add {ledger.name} 问题 "
                           f"--category {code} …", "warning"))
    missing = rules.forces_incomplete(ledger.responsibility.to_data())
    if missing:
        out.append(Finding((*current, "responsibility"),
                           f"“四个一”力量未配齐：缺{'、'.join(missing)}",
                           f"请用 zhengdun org set {ledger.name} 补充责任清单", "warning"))
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
    dates = [d.on for d in ledger.designations]
    dates += [s.on for d in ledger.designations for key in CHAIN if (s := getattr(d, key))]
    for problem in ledger.problems:
        dates.append(problem.found_on)
        dates += [s.on for s in problem.steps]
        for closure in problem.closures:
            dates.append(closure.on)
            if closure.reopened is not None:
                dates.append(closure.reopened.on)
        dates += [e.on for e in problem.extensions]
    dates += [v.on for v in ledger.visits] + [a.on for a in ledger.acceptances]
    for notice in ledger.notices:
        dates.append(notice.on)
        if notice.reply is not None:
            dates.append(notice.reply.on)
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
