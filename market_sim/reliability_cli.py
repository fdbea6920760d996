"""The CLI's reliability kit, kept apart from cli.py's commands so that changes merge easily:
the checks before a run (memory, writable --out, a lock; Ctrl-C), the messages of a sweep or
experiment that failed to write or has failed runs, and `market-sim rerun DIR`, which repeats a
run from its results directory and checks that the tables are byte for byte the same."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from .config import ConfigError
from .outputs import OutputError, check_output_dir

TABLES = ("vendor_month", "market_month", "events", "outcomes")


def _differences(a: Path, b: Path) -> list[str]:
    """Tables of results directory `a` not byte for byte equal to those of `b`."""
    return [f"{name}.parquet" for name in TABLES
            if not (a / f"{name}.parquet").exists()
            or (a / f"{name}.parquet").read_bytes() != (b / f"{name}.parquet").read_bytes()]


def fail(message: str) -> None:
    """One line on stderr, exit status 2 (as cli._fail)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def _guarded_run(cfg, config: Path, out: Path, replications: int, workers: int, allow_large: bool):
    """Before the first run: memory estimate, --out writable, the lock on --out (held until the
    results are written). Ctrl-C during the block: say what was kept and exit 130."""
    from .execution import WorkerLost, directory_lock
    from .limits import check_memory

    try:
        check_memory(cfg, replications=replications, workers=workers, allow_large=allow_large, file=config)
        check_output_dir(out)
    except (ConfigError, OutputError) as e:
        fail(str(e))
    try:
        with directory_lock(out):
            yield
    except ConfigError as e:  # the lock is held by another writer
        fail(str(e))
    except WorkerLost as e:
        typer.echo(f"error: {e}; nothing was written to {out}: run the same command again", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted: nothing was written to {out} (a run writes its results only when every "
                   f"replication has finished); run the same command again to start over", err=True)
        raise typer.Exit(130) from None


def _write_run(results, out: Path, config: Path, overrides: dict, figures: bool = True) -> dict:
    from .outputs import write_results

    try:
        return write_results(results, out, config_name=config.stem, source=config, overrides=overrides,
                             figures=figures)
    except OSError as e:  # e.g. the disk filled up: the temporary directory is already removed
        typer.echo(f"error: {out}: could not write the results ({e.strerror or e}); nothing was written", err=True)
        raise typer.Exit(1) from None


def _write_failed(e: OSError, directory, again: str) -> None:
    typer.echo(f"error: {directory}: could not write ({e.strerror or e}); the runs committed so far are kept: "
               f"make room, then  {again}", err=True)
    raise typer.Exit(1)


def _say_dropped(outcome) -> None:
    for why in outcome.dropped:
        typer.echo(f"repaired: {why}: those runs ran again", err=True)


def _exit_if_failed(outcome, again: str) -> None:
    if outcome.failed or outcome.lost:
        what = " and ".join(w for w in (f"{outcome.failed} run(s) failed after every retry" if outcome.failed else "",
                                        f"{outcome.lost} run(s) lost with their worker" if outcome.lost else "") if w)
        typer.echo(f"{what}; run them again with  {again}", err=True)
        raise typer.Exit(1)


def _check_limits(cfg, config: Path) -> None:
    from .limits import check_memory

    check_memory(cfg, file=config)


def register(app: typer.Typer) -> None:
    @app.command()
    def rerun(
        results_dir: Annotated[Path, typer.Argument(help="a results directory written by market-sim run")],
        out: Annotated[Path | None, typer.Option(help="where to write the new run (default: DIR-rerun)")] = None,
        workers: Annotated[int, typer.Option(min=1, help="worker processes; results do not depend on it")] = 1,
        quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    ) -> None:
        """Repeat a run from its results directory (config.yaml + run.json: seed, replications,
        overrides, and the posterior at its recorded path, which must be there unchanged) and check
        that its tables come out byte for byte the same; exit 1 if not."""
        from . import __version__
        from .config import load_config
        from .runner import run as run_replications

        record = results_dir / "run.json"
        if not record.is_file() or not (results_dir / "config.yaml").is_file():
            fail(f"{results_dir}: not a results directory written by market-sim run (no run.json / config.yaml)")
        try:
            info = json.loads(record.read_text())
            seed, replications = int(info["base_seed"]), int(info["replications"])
        except (ValueError, KeyError, TypeError, OSError) as e:
            fail(f"{record}: unreadable ({type(e).__name__}: {e})")
        post, extra = None, {}
        try:
            cfg = load_config(results_dir / "config.yaml")
            if info.get("posterior"):  # the recorded absolute path; refused if gone or changed
                from .posterior import reload_recorded

                post = reload_recorded(info["posterior"], cfg, record)
                extra = {"posterior": post, "runs_per_draw": int(info["posterior"]["runs_per_draw"]),
                         "overrides": info.get("overrides") or {}}  # --set wins over the draw, as in the run
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
                                       progress=not quiet, **extra)
            _write_run(results, out, results_dir / "config.yaml", info.get("overrides") or {})
        differ = _differences(results_dir, out)
        if differ:
            typer.echo(f"DIFFERENT from {results_dir}: {', '.join(differ)} (written: {out})", err=True)
            raise typer.Exit(1)
        typer.echo(f"reproduced: {replications} replication(s), base seed {seed}; {len(TABLES)} tables byte for "
                   f"byte identical to {results_dir}\nwritten: {out}")
