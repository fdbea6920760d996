"""The dated event log: every event the model reports, worded in one place."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import month_label

COLUMNS = ["month_index", "month", "vendor", "event", "detail", "value"]


class EventLog:
    """Events of one run, in the order they happened. An event is stored as its facts and
    worded only when read (`records`, `frame`): a run whose events nobody reads (a sweep, a
    calibration) never formats a sentence. The `_word_*` functions below are the only places
    that word an event (`_release_details` words many releases at once as `_word_release`
    words one)."""

    def __init__(self, start: str, vendor_ids: list[str], vendor_names: list[str]):
        self.start = start
        self.ids = vendor_ids
        self.names = vendor_names
        self._facts: list = []               # (t, row, event, word, args, value), or a _Releases of many
        self._count = 0                      # events recorded
        self._read = 0                       # facts worded so far
        self._columns: dict[str, list] = {c: [] for c in COLUMNS}  # the worded events, column by column
        self._worded: list[dict] = []        # the first len(_worded) worded events as dicts (`records`)

    def __len__(self) -> int:
        return self._count

    def __iter__(self):
        return iter(self.records)

    def __getitem__(self, i):
        return self.records[i]

    def add(self, t: int, row: int, event: str, word, args: tuple, value: float = np.nan) -> None:
        """Record an event of vendor `row` (-1: the market) in month t, worded by word(*args)."""
        self._facts.append((t, row, event, word, args, value))
        self._count += 1

    @property
    def records(self) -> list[dict]:
        """One dict per event with COLUMNS as keys, oldest first (a new list each call)."""
        columns = self._word_new()
        done = len(self._worded)
        self._worded.extend(dict(zip(COLUMNS, values))
                            for values in zip(*(columns[c][done:] for c in COLUMNS)))
        return list(self._worded)

    def frame(self) -> pd.DataFrame:
        """The events as a DataFrame of COLUMNS, oldest first (month_index as int32)."""
        columns = self._word_new()
        if not self._count:
            events = pd.DataFrame([], columns=COLUMNS)
            events["month_index"] = events["month_index"].astype(np.int32)
            return events
        # built column by column (the same dtypes as from the records), month_index made int32
        # before the frame rather than converted in it
        return pd.DataFrame({c: np.array(columns[c]).astype(np.int32) if c == "month_index" else columns[c]
                             for c in COLUMNS})

    def _word_new(self) -> dict[str, list]:
        """Word the facts recorded since the last read onto the worded columns; returns them."""
        columns = self._columns
        month_index, month, vendor, event, detail, value = (columns[c] for c in COLUMNS)
        new = self._facts[self._read:]
        releases = [fact for fact in new if isinstance(fact, _Releases)]
        release_details = iter(_release_details(releases))  # all months' releases worded in one go
        for fact in new:
            if isinstance(fact, _Releases):
                n = fact.rows.size
                month_index.extend([fact.t] * n)
                month.extend([month_label(self.start, fact.t)] * n)
                vendor.extend([self.ids[row] for row in fact.rows.tolist()])
                event.extend(["release"] * n)
                detail.extend(next(release_details))
                value.extend(fact.values().tolist())
                continue
            t, row, name, word, args, v = fact
            month_index.append(t)
            month.append(month_label(self.start, t))
            vendor.append(self.ids[row] if row >= 0 else "")
            event.append(name)
            detail.append(word(*args))
            value.append(float(v))
        self._read = len(self._facts)
        return columns

    # ---- the events
    def change(self, t: int, why: str, settings: dict) -> None:
        self.add(t, -1, "change", _word_change, (why, dict(settings)))

    def releases(self, t: int, reported: np.ndarray, headline: np.ndarray, capability: np.ndarray, features) -> None:
        """One event per (vendor, feature) in `reported`: a headline sets a new domestic best,
        the others match it. `features` is the run's FeatureSpace."""
        rows, cols = np.nonzero(reported)
        if rows.size:  # kept as arrays: a run whose events nobody reads never makes one tuple per release
            self._facts.append(_Releases(t, rows, cols, headline[rows, cols], capability[rows, cols], features,
                                         self.names))
            self._count += rows.size

    def price_cuts(self, t: int, cut: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        for row in np.flatnonzero(cut):
            self.add(t, row, "price_cut", _word_price_cut, (self.names[row], old[row], new[row]), new[row])

    def key_hires(self, t: int, key: np.ndarray) -> None:
        """`key` is (source x destination) key hires."""
        cells = np.flatnonzero(key.ravel() != 0)    # row-major, as np.nonzero (which is slower on ints)
        for source, destination in zip(*np.divmod(cells, key.shape[1])):
            count = key[source, destination]
            self.add(t, destination, "key_hire", _word_key_hires,
                     (self.names[destination], count, self.names[source]), count)

    def budget_cut(self, t: int, row: int, patience_months: int) -> None:
        self.add(t, row, "budget_cut", _word_budget_cut, (self.names[row], patience_months))

    def rounds(self, t: int, tried: np.ndarray, failed_to_close: np.ndarray, amount: np.ndarray,
               post_money: np.ndarray) -> None:
        """Each startup that `tried` to raise: a round (amount > 0), or no round found (a round
        that closes but that nobody can fill is no event)."""
        for row in np.flatnonzero(tried):
            if failed_to_close[row]:
                self.add(t, row, "raise_failed", _word_raise_failed, (self.names[row],))
            elif amount[row] > 0:
                self.add(t, row, "round", _word_round, (self.names[row], amount[row], post_money[row]), amount[row])

    def round(self, t: int, row: int, amount: float, post_money: float) -> None:
        self.add(t, row, "round", _word_round, (self.names[row], amount, post_money), amount)

    def entry(self, t: int, row: int) -> None:
        self.add(t, row, "entry", _word_entry, (self.names[row],))

    def pivot(self, t: int, row: int, sector: str, for_money: bool = False) -> None:
        self.add(t, row, "pivot", _word_pivot, (self.names[row], sector, for_money))

    def acquisition(self, t: int, row: int, acquirer: int) -> None:
        self.add(t, row, "acquisition", _word_acquisition, (self.names[row], self.names[acquirer]))

    def shutdown(self, t: int, row: int) -> None:
        self.add(t, row, "exit", _word_shutdown, (self.names[row],))


class _Releases:
    """One month's releases, as arrays until they are read."""

    __slots__ = ("t", "rows", "cols", "headline", "levels", "features", "names")

    def __init__(self, t, rows, cols, headline, levels, features, names):
        self.t, self.rows, self.cols, self.headline, self.levels = t, rows, cols, headline, levels
        self.features, self.names = features, names

    def values(self) -> np.ndarray:
        """The released levels in the features' own units (the events' `value`)."""
        return np.where(self.features.log_scale[self.cols], 10.0 ** self.levels, self.levels)


def _release_details(batches: list[_Releases]) -> list[list[str]]:
    """Each batch's release details, as `_word_release` words them (one list per batch). The
    levels are described one feature at a time over all batches with the same FeatureSpace
    (`FeatureSpace.describe_many`), rather than one release at a time."""
    details: list = [None] * len(batches)
    by_space: dict = {}
    for i, batch in enumerate(batches):
        by_space.setdefault(batch.features, []).append(i)
    for features, which in by_space.items():
        cols = np.concatenate([batches[i].cols for i in which])
        levels = np.concatenate([batches[i].levels for i in which])
        described = np.empty(cols.size, dtype=object)
        for f in np.unique(cols).tolist():
            at = cols == f
            described[at] = features.describe_many(f, levels[at])
        described = described.tolist()
        start = 0
        for i in which:
            batch = batches[i]
            end = start + batch.rows.size
            details[i] = [_release_detail(batch.names[row], head, text) for row, head, text
                          in zip(batch.rows.tolist(), batch.headline.tolist(), described[start:end])]
            start = end
    return details


# ---- wording
def _word_change(why: str, settings: dict) -> str:
    return why or ", ".join(f"{k} = {v}" for k, v in settings.items())


def _word_release(name: str, headline: bool, features, f: int, level: float) -> str:
    return _release_detail(name, headline, features.describe(f, level))


def _release_detail(name: str, headline: bool, described: str) -> str:
    """A release's sentence around its described level (`FeatureSpace.describe`)."""
    verb = "sets a new domestic best" if headline else "matches the domestic best"
    return f"{name} {verb}: {described}"


def _word_price_cut(name: str, old: float, new: float) -> str:
    return f"{name} cuts API price {100.0 * (1.0 - new / old):.0f}% to {new:.2f} RMB/M tokens"


def _word_key_hires(name: str, count: int, source: str) -> str:
    return f"{name} hires {count} key researcher(s) from {source}"


def _word_budget_cut(name: str, patience_months: int) -> str:
    return f"{name}'s parent cuts the AI budget after {patience_months} months of losses"


def _word_raise_failed(name: str) -> str:
    return f"{name} fails to close a round"


def _word_round(name: str, amount: float, post_money: float) -> str:
    return f"{name} raises {amount / 1e9:.2f}B RMB at {post_money / 1e9:.1f}B post-money"


def _word_entry(name: str) -> str:
    return f"{name} enters the market"


def _word_pivot(name: str, sector: str, for_money: bool = False) -> str:
    why = "its runway is too short for the race" if for_money else "focusing is worth more than the race"
    return f"{name} stops pretraining and narrows to {sector} ({why})"


def _word_acquisition(name: str, acquirer: str) -> str:
    return f"{name} is acquired by {acquirer}"


def _word_shutdown(name: str) -> str:
    return f"{name} shuts down"
