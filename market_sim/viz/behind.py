"""Who falls behind, month by month: the model's own rule (mechanisms/falls_behind.py, config
section `falls_behind`) applied to the live model, with each vendor's numbers against the
rule's lines and a one-line cause. Pure functions of a model (no Solara), tested directly."""

from __future__ import annotations

import numpy as np

from ..agents import STATUS_NAMES
from ..calendar import month_label
from ..mechanisms import financing
from ..mechanisms.falls_behind import falls_behind

STATUS_GLOSSARY = {
    "frontier": "still racing: trains its own general models to keep up with the best",
    "focused": "stopped pretraining and narrowed to one sector's applications (a pivot)",
    "acquired": "bought by a big tech; its researchers joined the buyer",
    "exited": "shut down; its researchers went back to the talent pool",
}


def definition(cfg) -> str:
    """The rule in one line, with this config's thresholds."""
    fb = cfg.falls_behind
    return (f"A vendor falls behind if it is {', '.join(fb.statuses)} (out of the frontier race), or if it is "
            f"still racing with consumer + enterprise share under {100 * fb.max_combined_share:.0f}% and more "
            f"than {fb.min_gap_months:g} months of quality progress behind the domestic best. "
            f"Startups pivot when their runway drops under {cfg.financing.pivot_runway_months:g} months, or when "
            f"a segment is worth more to them than the race for {cfg.financing.decision_patience_months} months "
            "in a row.")


def _events_of(model, vendor_id: str, month_index: int) -> set[str]:
    return {e["event"] for e in model.events.records
            if e["vendor"] == vendor_id and e["month_index"] == month_index}


def _left_race_cause(model, row: int) -> str:
    """Why a vendor left the race, from the records of the month it left."""
    vt, rec, cfg = model.vendors, model.recorder, model.cfg
    t = int(vt.status_month[row])
    status = STATUS_NAMES[vt.status[row]]
    when = month_label(model.start, t) if t >= 0 else "start"
    before = rec.v["runway_months"][t - 1, row] if 0 < t <= rec.months_done else float("nan")
    gap = rec.v["gap_quality_months"][t - 1, row] if 0 < t <= rec.months_done else float("nan")
    events = _events_of(model, vt.ids[row], t)
    if "raise_failed" in events:
        why = f"failed to close a round (runway {before:.0f} months, {gap:.0f} months behind)"
    elif before == before and before < cfg.financing.pivot_runway_months * 1.5:
        why = f"runway ran short ({before:.0f} months; pivot line {cfg.financing.pivot_runway_months:g})"
    elif vt.status_cause[row] == financing.RACE:
        why = f"{gap:.0f} months behind: a segment was worth more than the race"
    else:
        why = "left the race"
    verb = {"focused": "pivoted", "acquired": "acquired", "exited": "shut down"}.get(status, status)
    return f"{verb} in {when}: {why}"


def rows(model) -> list[dict]:
    """One row per named vendor: months behind the best, combined share vs the line, runway vs
    the pivot line, status, falls behind now?, and the cause (or what keeps it in)."""
    vt, fb = model.vendors, model.cfg.falls_behind
    named = np.flatnonzero(~vt.long_tail)
    status = np.array([STATUS_NAMES[s] for s in vt.status])
    behind, reason = falls_behind(status, vt.consumer_share, vt.enterprise_share, vt.gap_quality_months,
                                  fb.statuses, fb.max_combined_share, fb.min_gap_months)
    pivot_line = model.cfg.financing.pivot_runway_months
    out = []
    for r in named:
        share = float(vt.consumer_share[r] + vt.enterprise_share[r])
        gap = float(vt.gap_quality_months[r])
        runway = float(vt.runway[r])
        if reason[r] == "status":
            cause = _left_race_cause(model, r)
        elif reason[r] == "small_and_behind":
            cause = (f"small ({100 * share:.1f}% < {100 * fb.max_combined_share:.0f}%) and {gap:.0f} months behind "
                     f"(> {fb.min_gap_months:g})")
        elif share < fb.max_combined_share:
            cause = f"small ({100 * share:.1f}%) but only {gap:.0f} months behind: at risk"
        elif vt.kind[r] == 1 and runway < 2 * pivot_line:
            cause = f"in, but runway {runway:.0f} months is near the pivot line ({pivot_line:g})"
        else:
            cause = f"in: share {100 * share:.1f}% above the {100 * fb.max_combined_share:.0f}% line"
        out.append({"vendor": vt.names[r], "id": vt.ids[r], "row": int(r), "status": str(status[r]),
                    "gap_months": gap, "share": share, "share_line": fb.max_combined_share,
                    "runway": runway if vt.kind[r] == 1 else float("nan"), "pivot_line": pivot_line,
                    "falls_behind": bool(behind[r]), "cause": cause})
    return out
