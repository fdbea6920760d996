"""Month arithmetic on YYYY-MM labels."""

from __future__ import annotations


def month_index(month: str, start: str) -> int:
    """Months from `start` to `month` (both YYYY-MM)."""
    y, m = map(int, month.split("-"))
    y0, m0 = map(int, start.split("-"))
    return (y - y0) * 12 + (m - m0)


def month_label(start: str, offset: int) -> str:
    """The YYYY-MM label `offset` months after `start`."""
    y0, m0 = map(int, start.split("-"))
    total = y0 * 12 + (m0 - 1) + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"
