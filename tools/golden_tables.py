"""Fingerprints of the four result tables for a few fixed runs (tests/data/golden_tables.json).

tests/test_golden_tables.py recomputes them and fails if any table changed by a single bit:
the performance work must leave results alone. When a change to the model is meant to change
results, regenerate the file and say so in the commit:

    PYTHONPATH=. .venv/bin/python tools/golden_tables.py            # rewrite tests/data/golden_tables.json
    PYTHONPATH=/tmp/old-tree .venv/bin/python tools/golden_tables.py --check   # compare another tree

A fingerprint hashes each column's name, dtype and raw values (numbers as their bytes, text as
UTF-8), so it does not depend on pandas' own hashing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden_tables.json"
SMALL = ROOT / "tests" / "data" / "small.yaml"
BASELINE = ROOT / "configs" / "baseline_2024.yaml"

# (name, config, overrides, seed): the small test market, the baseline at a sixth of its scale
# for its 24 months, fully mixed word of mouth, and one dated scenario
CASES = [
    ("small_0", SMALL, {}, 0),
    ("small_1", SMALL, {}, 1),
    ("baseline_3000", BASELINE, {"scale.consumers": 3000, "scale.enterprises": 300}, 3),
    ("mixed_2000", BASELINE,
     {"scale.consumers": 2000, "scale.enterprises": 200, "consumers.word_of_mouth": "mixed"}, 4),
    ("funding_winter_2000", ROOT / "configs" / "scenarios" / "funding_winter.yaml",
     {"scale.consumers": 2000, "scale.enterprises": 200}, 5),
]
TABLES = ("vendor_month", "market_month", "events", "outcomes")


def table_digest(df: pd.DataFrame) -> str:
    """SHA-256 of a table's column names, dtypes and values, in column order."""
    h = hashlib.sha256()
    for name in df.columns:
        col = df[name]
        h.update(f"{name}\x1f{col.dtype}\x1e".encode())
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(str)
        values = col.to_numpy()
        if values.dtype == object or values.dtype.kind in "US":
            h.update("\x1f".join(map(str, values)).encode())
        else:
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def digests() -> dict[str, dict[str, str]]:
    from market_sim import load_config
    from market_sim.runner import simulate

    out = {}
    for name, config, overrides, seed in CASES:
        tables = simulate(load_config(config, overrides), np.random.SeedSequence(seed))
        out[name] = {t: table_digest(tables[t]) for t in TABLES}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = ap.parse_args()
    got = digests()
    if args.check:
        want = json.loads(GOLDEN.read_text())
        bad = [(case, t) for case in want for t in want[case] if got.get(case, {}).get(t) != want[case][t]]
        import market_sim

        print(f"{Path(market_sim.__file__).parent}: " + ("identical" if not bad else f"differ: {bad}"))
        sys.exit(1 if bad else 0)
    import market_sim

    GOLDEN.write_text(json.dumps(got, indent=1) + "\n")
    print(f"wrote {GOLDEN} from the tables of {Path(market_sim.__file__).parent}")


if __name__ == "__main__":
    main()
