"""One colour per vendor, the same in every figure and in the browser app."""

from __future__ import annotations

NAMED_COLOURS = {
    "bytedance": "#1f77b4", "alibaba": "#ff7f0e", "baidu": "#2ca02c", "tencent": "#17becf",
    "moonshot": "#9467bd", "zhipu": "#d62728", "minimax": "#e377c2", "baichuan": "#8c564b",
    "zeroone": "#bcbd22", "stepfun": "#637939",  # not grey: grey is the long tail
}
LONG_TAIL_COLOUR = "#c7c7c7"
_EXTRA = ["#393b79", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354"]


def vendor_colour(vendor_id: str, order: int = 0) -> str:
    if vendor_id in NAMED_COLOURS:
        return NAMED_COLOURS[vendor_id]
    if vendor_id.startswith("tail_"):
        return LONG_TAIL_COLOUR
    return _EXTRA[order % len(_EXTRA)]
