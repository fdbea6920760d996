"""Calendar months as the model counts them: YYYY-MM labels and month offsets."""

from __future__ import annotations

import re
from functools import lru_cache

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_index(month: str, start: str) -> int:
    """Months from `start` to `month` (both YYYY-MM)."""
    year, mon = map(int, month.split("-"))
    start_year, start_mon = map(int, start.split("-"))
    return (year - start_year) * 12 + (mon - start_mon)


@lru_cache(maxsize=4096)
def month_label(start: str, offset: int) -> str:
    """The YYYY-MM label `offset` months after `start`."""
    start_year, start_mon = map(int, start.split("-"))
    total = start_year * 12 + (start_mon - 1) + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"
