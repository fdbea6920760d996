"""`market-sim calibrate`: ABC-SMC over the priors against the 2024 targets (calibration_run.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EXAMPLES = [
    "market-sim calibrate configs/baseline_2024.yaml --workers 2 --out calibration/baseline_2024",
    "market-sim calibrate configs/baseline_2024.yaml --workers 2 --out calibration/baseline_2024 --resume",
    "market-sim calibrate configs/baseline_2024.yaml --synthetic --out calibration/synthetic",
    "market-sim calibrate configs/baseline_2024.yaml --population 20 --generations 2 --set scale.consumers=2000",
]


def register(app: typer.Typer) -> None:
    @app.command(epilog="Examples:\n\n" + "\n\n".join(f"  {line}" for line in EXAMPLES))
    def calibrate(
        config: Annotated[Path, typer.Argument(help="config whose assumed parameters are calibrated (YAML)")],
        targets: Annotated[list[Path] | None, typer.Option(
            "--targets", help="targets file (repeatable; default validation/targets.yaml)")] = None,
        population: Annotated[int, typer.Option(min=4, help="particles per generation")] = 200,
        generations: Annotated[int, typer.Option(min=1, help="stop after this many generations")] = 8,
        replications: Annotated[int, typer.Option(
            "--replications", "-k", min=1, help="simulated histories per particle (targets are shares of them)")] = 3,
        min_acceptance_rate: Annotated[float, typer.Option(
            min=0.0, max=1.0, help="stop when a generation accepts fewer of its candidates")] = 0.02,
        screening: Annotated[int, typer.Option(
            min=10, help="pilot parameter sets from the prior that choose what the proposal adapts to")] = 400,
        adaptive_max: Annotated[int, typer.Option(min=1, help="adapt the proposal to at most this many parameters")]
        = 12,
        seed: Annotated[int, typer.Option(min=0, help="seed: the same seed gives the same posterior")] = 0,
        workers: Annotated[int, typer.Option(min=1, help="worker processes; the posterior does not depend on it")] = 1,
        dask: Annotated[str | None, typer.Option(help="Dask scheduler address, or 'local' for a local cluster")] = None,
        out: Annotated[Path | None, typer.Option(help="calibration directory (default calibration/<config name>)")]
        = None,
        resume: Annotated[bool, typer.Option(help="continue an interrupted calibration in --out")] = False,
        synthetic: Annotated[bool, typer.Option(
            help="identifiability test: targets generated from a known parameter set drawn from the prior")] = False,
        set_: Annotated[list[str] | None, typer.Option("--set", help="override: dotted.key=value (repeatable)")]
        = None,
    ) -> None:
        """Calibrate the assumed parameters by ABC-SMC (pyabc) against the 2024 targets; write the
        posterior sample, diagnostics and the posterior predictive table."""
        from .calibration_run import run_calibration
        from .cli import _fail, set_options
        from .config import ConfigError

        out = out or Path("calibration") / config.stem
        for path in targets or []:
            if not path.is_file():
                _fail(f"--targets {path}: no such file")
        try:
            summary = run_calibration(config, out, overrides=set_options(set_), targets_files=targets,
                                      population=population, generations=generations, replications=replications,
                                      seed=seed, workers=workers, dask_address=dask,
                                      min_acceptance_rate=min_acceptance_rate, synthetic=synthetic, resume=resume,
                                      screening=screening, adaptive_max=adaptive_max, say=typer.echo)
        except (ConfigError, ValueError) as e:
            _fail(str(e))
        typer.echo(f"\n{summary['generations']} generations, {summary['evaluated']} parameter sets, "
                   f"final epsilon {summary['final_epsilon']:.3f}, ESS {summary['final_effective_sample_size']:.0f}")
        if summary["identification_judgeable"]:
            typer.echo(f"identified ({len(summary['identified'])}): {', '.join(summary['identified']) or '-'}")
        else:
            typer.echo("too few effective particles to tell which parameters the targets identify")
        if synthetic:
            typer.echo(f"known values inside the posterior 90% interval: {summary['covered_90_all']:.0%} of all, "
                       f"{(summary['covered_90_identified'] or 0):.0%} of the identified")
        typer.echo(f"written: {out / 'posterior.parquet'}, {out / 'report.md'}, {out / 'diagnostics'}")
