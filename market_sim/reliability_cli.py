"""CLI commands for reproducibility: `market-sim rerun DIR` repeats a run from its results
directory and checks that the tables are byte for byte the same. Registered on the app by
cli.py (kept apart from the other commands so that the CLI's other changes merge easily)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

TABLES = ("vendor_month", "market_month", "events", "outcomes")


def _differences(a: Path, b: Path) -> list[str]:
    """Tables of results directory `a` not byte for byte equal to those of `b`."""
    return [f"{name}.parquet" for name in TABLES
            if not (a / f"{name}.parquet").exists()
            or (a / f"{name}.parquet").read_bytes() != (b / f"{name}.parquet").read_bytes()]


def register(app: typer.Typer, fail, set_options) -> None:
    @app.command()
    def rerun(
        results_dir: Annotated[Path, typer.Argument(help="a results directory written by market-sim run")],
        out: Annotated[Path | None, typer.Option(help="where to write the new run (default: DIR-rerun)")] = None,
        workers: Annotated[int, typer.Option(min=1, help="worker processes; results do not depend on it")] = 1,
        quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    ) -> None:
        """Repeat a run from its results directory (config.yaml + run.json: seed, replications,
        overrides) and check that its tables come out byte for byte the same; exit 1 if not."""
        from . import __version__
        from .cli import _guarded_run, _write_run
        from .config import ConfigError, load_config
        from .runner import run as run_replications

        record = results_dir / "run.json"
        if not record.is_file() or not (results_dir / "config.yaml").is_file():
            fail(f"{results_dir}: not a results directory written by market-sim run (no run.json / config.yaml)")
        try:
            info = json.loads(record.read_text())
            seed, replications = int(info["base_seed"]), int(info["replications"])
        except (ValueError, KeyError, TypeError, OSError) as e:
            fail(f"{record}: unreadable ({type(e).__name__}: {e})")
        try:
            cfg = load_config(results_dir / "config.yaml")
        except ConfigError as e:
            fail(str(e))
        if info.get("market_sim_version") != __version__:
            typer.echo(f"note: written by market-sim {info.get('market_sim_version')}, this is {__version__}",
                       err=True)
        out = out or results_dir.parent / f"{results_dir.name}-rerun"
        if out.resolve() == results_dir.resolve():
            fail("--out must differ from the directory re-run")
        with _guarded_run(cfg, results_dir / "config.yaml", out, replications, workers, False):
            results = run_replications(cfg, replications=replications, seed=seed, workers=workers,
                                       progress=not quiet)
            _write_run(results, out, results_dir / "config.yaml", info.get("overrides") or {})
        differ = _differences(results_dir, out)
        if differ:
            typer.echo(f"DIFFERENT from {results_dir}: {', '.join(differ)} (written: {out})", err=True)
            raise typer.Exit(1)
        typer.echo(f"reproduced: {replications} replication(s), base seed {seed}; {len(TABLES)} tables byte for "
                   f"byte identical to {results_dir}\nwritten: {out}")
