"""Did a change alter results? Snapshot the four tables of fixed runs, then compare.

    .venv/bin/python tools/same_tables.py write /tmp/tables-before     # on the old code
    .venv/bin/python tools/same_tables.py compare /tmp/tables-before   # on the new code: exit 1 if any differs

The runs: 20 replications (base seed 20241231, 2 workers) of the baseline and of two
scenarios; the tables: vendor-month, market-month, events and outcomes, compared exactly
(`pandas.testing.assert_frame_equal(check_exact=True)`). A structural change (issue "model
core") must print 12 lines "identical".
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

CASES = {"baseline": "configs/baseline_2024.yaml", "funding_winter": "configs/scenarios/funding_winter.yaml",
         "talent_war": "configs/scenarios/talent_war.yaml"}
TABLES = ("vendor_month", "market_month", "events", "outcomes")


def main() -> int:
    from market_sim import run

    mode, directory = sys.argv[1], Path(sys.argv[2])
    if mode not in ("write", "compare"):
        sys.exit("usage: same_tables.py write|compare DIR")
    different = 0
    for name, path in CASES.items():
        results = run(path, replications=20, workers=2, seed=20241231)
        for table in TABLES:
            df = getattr(results, table).reset_index(drop=True)
            file = directory / f"{name}-{table}.parquet"
            if mode == "write":
                directory.mkdir(parents=True, exist_ok=True)
                df.to_parquet(file)
                continue
            try:
                pd.testing.assert_frame_equal(df, pd.read_parquet(file), check_exact=True)
                print("identical", name, table, df.shape)
            except AssertionError as e:
                different += 1
                print("DIFFERENT", name, table, str(e)[:600])
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
