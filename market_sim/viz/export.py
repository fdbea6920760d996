"""Export of the app's current run: its tables (CSV and Parquet), its resolved config, and the
`market-sim run` command that reproduces it (the app's run is replication 0 of that command)."""

from __future__ import annotations

import io
import zipfile

import yaml


def run_command(model) -> str:
    """The command that reruns this model from the exported config.yaml."""
    return f"market-sim run config.yaml --seed {model.seed} --replications 1"


def export_zip(model) -> bytes:
    vendor, market, events = model.tables()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, df in (("vendor_month", vendor), ("market_month", market), ("events", events)):
            z.writestr(f"{name}.csv", df.to_csv(index=False))
            pq = io.BytesIO()
            df.to_parquet(pq, index=False)
            z.writestr(f"{name}.parquet", pq.getvalue())
        z.writestr("config.yaml", yaml.safe_dump(model.initial_cfg.model_dump(mode="json"), sort_keys=False))
        z.writestr("COMMAND.txt", (f"# scenario {model.scenario}, seed {model.seed}, controls {model.params}\n"
                                   f"# months simulated in the app: {model.month} of {model.horizon}\n"
                                   f"{run_command(model)}\n"))
    return buf.getvalue()
