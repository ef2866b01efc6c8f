"""The one place "today" comes from.

Deadlines are judged against a day in the workspace timezone. Tests and demonstrations pin the
day with the environment variable ``ZHENGDUN_TODAY=YYYY-MM-DD``.
"""

from __future__ import annotations

import os
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

TODAY_ENV = "ZHENGDUN_TODAY"


def today(timezone: str = "Asia/Shanghai") -> date:
    """The current day in ``timezone`` (or the day pinned by ``ZHENGDUN_TODAY``)."""
    pinned = os.environ.get(TODAY_ENV)
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            from zhengdun.errors import UserError

            raise UserError(f"环境变量 {TODAY_ENV} 的值“{pinned}”不是日期",
                            f"应写成 YYYY-MM-DD（只用于测试和演示），或取消它：unset {TODAY_ENV}"
                            ) from None
    return datetime.now(ZoneInfo(timezone)).date()


def typed_date(value: str) -> str:
    """A date (or month) as the clerk typed it, in the ASCII form the parsers read.

    A Chinese input method in full-width mode types ２０２６－１０－０１; it spells a real day, so
    every date option (both paths, ``diff``, ``--at``) reads it as one: NFKC maps full-width
    digits and hyphens to ASCII.
    """
    return unicodedata.normalize("NFKC", value).strip()
