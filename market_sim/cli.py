"""`market-sim`: the command line. I/O lives here and in outputs.py, never in the model."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from . import cli_help
from .calibrate_cli import register as _register_calibrate
from .cli_extras import examples, port_in_use, print_answer, quiet_server_env
from .config import ConfigError, load_config, schema_json
from .posterior import DEFAULT_RUNS_PER_DRAW, load_posterior
from .reliability_cli import _check_limits, _exit_if_failed, _guarded_run, _say_dropped, _write_failed, _write_run
from .reliability_cli import register as _register_reliability

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Agent-based simulation of the LLM vendor market: who falls behind in 2025?")

EXIT_BAD_INPUT = 2
POSTERIOR_HELP = ("a calibration's posterior directory (posterior.parquet): each replication's calibrated "
                  "parameters are a posterior draw")
POSTERIOR_HELP_SWEEP = (POSTERIOR_HELP + "; a swept parameter's value wins over the draw's; --resume uses the "
                        "posterior the sweep started with")
POSTERIOR_HELP_EXPERIMENT = (POSTERIOR_HELP + "; replication r of every scenario uses draw r // K; give the same "
                             "posterior again to complete an interrupted experiment")

def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"market-sim {version('market-sim')}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                   help="print the version and exit")] = False) -> None:
    """Agent-based simulation of the LLM vendor market: who falls behind in 2025?"""



def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def parse_set_option(item: str) -> tuple[str, Any]:
    """One --set option: 'dotted.key=value' -> ('dotted.key', value parsed as YAML)."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected dotted.key=value", path=item)
    key, raw = item.split("=", 1)
    key = ".".join(p for p in key.strip().split(".") if p)
    if not key:
        raise ConfigError(f"--set {item!r}: empty key", path=item.split("=", 1)[0])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def set_options(items: list[str] | None) -> dict[str, Any]:
    """--set options as load_config's overrides, in order (a key given again counts where it
    was given last)."""
    overrides: dict[str, Any] = {}
    for item in items or []:
        key, value = parse_set_option(item)
        overrides.pop(key, None)
        overrides[key] = value
    return overrides


@app.command(epilog=examples("run"))
def run(
    config: Annotated[Path, typer.Argument(help="experiment config (YAML)")],
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, help="independent runs")] = 1,
    seed: Annotated[int | None, typer.Option(min=0, help="base seed (default: the config's run.seed)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes; results do not depend on it")] = 1,
    out: Annotated[Path | None, typer.Option(help="results directory (default: results/<config name>)")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override: dotted.key=value (repeatable)")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    allow_large: Annotated[bool, typer.Option(help="run even if the memory estimate exceeds what is free")] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="tables and report only, no PNG figures")] = False,
    posterior: Annotated[Path | None, typer.Option("--posterior", help="a calibration's posterior directory "
                         "(posterior.parquet): each replication's calibrated parameters are a posterior draw; "
                         "--set values win over it")] = None,
    runs_per_draw: Annotated[int, typer.Option("--runs-per-draw", min=1, help="replications per posterior draw "
                             "(replication i uses draw i // K)")] = DEFAULT_RUNS_PER_DRAW,
) -> None:
    """Run replications of a config and write a results directory."""
    from .runner import run as run_replications

    try:
        cfg = load_config(config, set_options(set_))
        post = load_posterior(posterior, cfg) if posterior is not None else None
    except ConfigError as e:
        _fail(str(e))
    out = out or Path("results") / config.stem
    with _guarded_run(cfg, config, out, replications, workers, allow_large):
        started = time.perf_counter()
        results = run_replications(cfg, replications=replications, seed=seed, workers=workers,
                                   progress=not quiet, **_posterior_args(post, runs_per_draw, set_))
        elapsed = time.perf_counter() - started
        paths = _write_run(results, out, config, set_options(set_), figures=not no_figures)
    table = results.falls_behind()
    named = table[~table["vendor"].str.startswith("tail_")]
    typer.echo(f"\n{results.replications} replications of {config} in {elapsed:.1f} s "
               f"(base seed {results.base_seed}, {workers} worker(s))\n")
    # with a posterior the interval covers the parameters too (cluster bootstrap over draws)
    low, high = ("post_ci95_low", "post_ci95_high") if post is not None else ("ci95_low", "ci95_high")
    typer.echo(f"{'vendor':<12} {'P(falls behind)':>16} {'95% interval':>14} {'consumer share':>15} "
               f"{'enterprise share':>17}")
    for _, r in named.iterrows():
        typer.echo(f"{r['name']:<12} {r['p_falls_behind']:>16.2f} {r[low]:>8.2f}-{r[high]:<5.2f} "
                   f"{r['median_consumer_share']:>15.3f} {r['median_enterprise_share']:>17.3f}")
    tail = table[table["vendor"].str.startswith("tail_")]
    if len(tail):
        typer.echo(f"{'long tail':<12} {tail['p_falls_behind'].mean():>16.2f}   (mean over {len(tail)} small vendors)")
    if post is not None:
        _echo_posterior(named, results)
    typer.echo("\nshares: median at the horizon over replications\nwritten:")
    for key, p in paths.items():
        typer.echo(f"  {key:<10} {p}")


def _posterior_args(post, runs_per_draw: int, set_: list[str] | None) -> dict:
    """run()'s posterior arguments: with a posterior, the --set overrides too, applied on top of
    each draw (explicit --set values win over the posterior's)."""
    if post is None:
        return {}
    return {"posterior": post, "runs_per_draw": runs_per_draw, "overrides": set_options(set_)}


def _echo_posterior(named, results) -> None:
    from .posterior import draw_count
    from .stats import dominance_sentence

    draws = draw_count(results.replications, results.runs_per_draw)
    typer.echo(f"\nposterior {results.posterior.directory}: {draws} draws x {results.runs_per_draw} replications; "
               "interval over runs and parameters (cluster bootstrap over draws)")
    typer.echo(f"{'vendor':<12} {'P(falls behind)':>16} {'95% interval':>14} {'P across draws':>15} "
               f"{'parameter share':>16} {'dominant':>11}")
    for _, r in named.iterrows():
        typer.echo(f"{r['name']:<12} {r['p_falls_behind']:>16.2f} "
                   f"{r['post_ci95_low']:>8.2f}-{r['post_ci95_high']:<5.2f} "
                   f"{r['draw_p05']:>9.2f}-{r['draw_p95']:<5.2f} {r['parameter_share']:>16.2f} "
                   f"{r['dominant'] if isinstance(r['dominant'], str) and r['dominant'] else '-':>11}")
    told = named[named["parameter_share"].notna()]
    for _, r in told.iterrows():
        typer.echo(dominance_sentence(r["name"], r["parameter_share"]))
    if len(told) < len(named):
        typer.echo(f"{', '.join(named.loc[named['parameter_share'].isna(), 'name'])}: falls-behind did not vary in "
                   "these runs, so its split between parameters and randomness cannot be told.")


@app.command(epilog=examples("validate"))
def validate(
    config: Annotated[Path | None, typer.Argument(help="config to check (default: the baseline)")] = None,
    replications: Annotated[int, typer.Option("--replications", "-n", min=1)] = 30,
    seed: Annotated[int | None, typer.Option(min=0, help="base seed (default: the config's run.seed)")] = None,
    workers: Annotated[int, typer.Option(min=1)] = 2,
    out: Annotated[Path | None, typer.Option(help="where to write validation.csv / validation.md")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override: dotted.key=value (repeatable)")] = None,
    posterior: Annotated[Path | None, typer.Option("--posterior", help="a calibration's posterior directory "
                         "(posterior.parquet): each replication's calibrated parameters are a posterior draw; "
                         "--set values win over it")] = None,
    runs_per_draw: Annotated[int, typer.Option("--runs-per-draw", min=1, help="replications per posterior draw "
                             "(replication i uses draw i // K)")] = DEFAULT_RUNS_PER_DRAW,
) -> None:
    """Check the history-friendly targets (validation/targets.yaml); exit 1 if any fails."""
    from .model import DEFAULT_CONFIG
    from .runner import run as run_replications
    from .validation import load_targets, validation_markdown, validation_text
    from .validation import validate as check_targets

    config = config or DEFAULT_CONFIG
    try:
        cfg = load_config(config, set_options(set_))
        post = load_posterior(posterior, cfg) if posterior is not None else None
    except ConfigError as e:
        _fail(str(e))
    targets = load_targets()
    results = run_replications(cfg, replications=replications, seed=seed, workers=workers, progress=True,
                               **_posterior_args(post, runs_per_draw, set_))
    table = check_targets(results, targets)
    out = out or Path("results") / "validation" / Path(config).stem
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "validation.csv", index=False)
    if post is not None:
        from .posterior import DRAWS_FILE

        results.posterior_draws().to_csv(out / DRAWS_FILE, index=False)
    (out / "validation.md").write_text(validation_markdown(
        table, f"Validation of {config} ({replications} replications, base seed {results.base_seed})"))
    typer.echo(validation_text(table))
    typer.echo(f"\nwritten: {out / 'validation.md'}")
    if not table["passed"].all():
        raise typer.Exit(1)


@app.command(epilog=examples("sweep"))
def sweep(
    sweep_file: Annotated[Path | None, typer.Argument(help="sweep config (configs/sweeps/*.yaml)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="local worker processes (or Dask workers with --dask local)")] = 1,
    dask: Annotated[
        str | None, typer.Option(help="run on a Dask cluster: tcp://host:port, or 'local' to start one")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="sweep directory (default: results/sweeps/<sweep name>)")] = None,
    resume: Annotated[Path | None, typer.Option(help="complete an interrupted sweep directory")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    retries: Annotated[int, typer.Option(min=0, max=100, help="attempts again of a failed run before it is "
                                         "recorded as failed")] = 2,
    allow_large: Annotated[bool, typer.Option(help="run even if the memory or disk estimate exceeds what is free")
                           ] = False,
    posterior: Annotated[Path | None, typer.Option("--posterior", help=POSTERIOR_HELP_SWEEP)] = None,
    runs_per_draw: Annotated[int, typer.Option("--runs-per-draw", min=1, help="replications per posterior draw "
                             "(replication i uses draw i // K)")] = DEFAULT_RUNS_PER_DRAW,
) -> None:
    """Run a parameter sweep, streaming results to Parquet chunks (resumable). Exit status 1 if
    any run remains failed (--resume runs failed runs again)."""
    from .sweep.engine import run_sweep

    if resume is None and sweep_file is None:
        _fail("give a sweep config, or --resume DIR")
    if resume is not None and sweep_file is not None:
        _fail("give either a sweep config or --resume DIR, not both")
    target = resume or out or Path("results") / "sweeps" / sweep_file.stem
    try:
        outcome = run_sweep(sweep_file, target, workers=workers, dask=dask, resume=resume is not None,
                            progress=not quiet, retries=retries, allow_large=allow_large,
                            posterior=posterior, runs_per_draw=runs_per_draw)
    except ConfigError as e:
        _fail(str(e))
    except OSError as e:
        _write_failed(e, target, f"market-sim sweep --resume {target}")
    _say_dropped(outcome)
    rate = outcome.ran_now / outcome.seconds if outcome.seconds > 0 else 0.0
    typer.echo(f"\n{outcome.done + outcome.failed} of {outcome.total} runs done ({outcome.failed} failed); "
               f"{outcome.ran_now} ran now in {outcome.seconds:.1f} s ({rate:.1f} runs/s)")
    for err in outcome.errors:
        typer.echo(f"  failed: {err}")
    typer.echo(f"written: {outcome.directory}")
    if outcome.interrupted:
        typer.echo(f"interrupted: complete it with  market-sim sweep --resume {outcome.directory}", err=True)
        raise typer.Exit(130)
    _exit_if_failed(outcome, f"market-sim sweep --resume {outcome.directory}")
    typer.echo(f"next: market-sim report {outcome.directory}")


@app.command(epilog=examples("experiment"))
def experiment(
    name: Annotated[str, typer.Argument(help="an experiment in experiments/ (e.g. who_falls_behind_2025) or a path")],
    workers: Annotated[int, typer.Option(min=1, help="local worker processes")] = 2,
    out: Annotated[Path | None, typer.Option(help="results directory (default: results/experiments/<name>)")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    posterior: Annotated[Path | None, typer.Option("--posterior", help=POSTERIOR_HELP_EXPERIMENT)] = None,
    runs_per_draw: Annotated[int, typer.Option("--runs-per-draw", min=1, help="replications per posterior draw "
                             "(replication i uses draw i // K)")] = DEFAULT_RUNS_PER_DRAW,
) -> None:
    """Run an experiment (experiments/*.yaml) and write its report. Run the same command
    again to complete an interrupted experiment; finished runs are kept."""
    from .experiments import run_experiment

    started = time.perf_counter()
    try:
        exp, directory, outcome = run_experiment(name, out, workers=workers, progress=not quiet,
                                                 posterior=posterior, runs_per_draw=runs_per_draw)
    except ConfigError as e:
        _fail(str(e))
    except OSError as e:
        _write_failed(e, out or "results/experiments",
                      f"market-sim experiment {name}" + (f" --out {out}" if out else ""))
    _say_dropped(outcome)
    typer.echo(f"\n{exp.name}: {outcome.done + outcome.failed} of {outcome.total} runs done ({outcome.failed} failed); "
               f"{outcome.ran_now} ran now; {time.perf_counter() - started:.0f} s in all")
    for err in outcome.errors:
        typer.echo(f"  failed: {err}")
    if outcome.interrupted:
        typer.echo(f"interrupted: run  market-sim experiment {name}{f' --out {directory}' if out else ''}  "
                   "to complete it", err=True)
        raise typer.Exit(130)
    if outcome.lost:
        _exit_if_failed(outcome, f"market-sim experiment {name}" + (f" --out {out}" if out else ""))
    if outcome.failed:
        typer.echo("some runs failed: no report written", err=True)
        raise typer.Exit(1)
    print_answer(directory / "report.md")
    typer.echo(f"report: {directory / 'report.md'}")


@app.command(epilog=examples("report"))
def report(
    sweep_dir: Annotated[Path, typer.Argument(help="a sweep directory written by market-sim sweep")],
    vendor: Annotated[
        str | None, typer.Option(help="vendor for scenario discovery (default: the most uncertain)")
    ] = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="PRIM: boxes where P(falls behind) exceeds this")
    ] = 0.5,
) -> None:
    """Figures and a Markdown report of a sweep: P(falls behind) over the parameters,
    sensitivity indices, and scenario discovery (PRIM)."""
    from .sweep.report import write_report

    try:
        paths = write_report(sweep_dir, vendor=vendor, threshold=threshold)
    except ConfigError as e:
        _fail(str(e))
    typer.echo("written:")
    for key, p in paths.items():
        typer.echo(f"  {key:<12} {p}")


@app.command(epilog=examples("score"))
def score(
    observed: Annotated[Path, typer.Argument(help="observations file (YAML; format: docs/scoring.md)")],
    results_dir: Annotated[Path, typer.Argument(help="a results directory written by market-sim run")],
    out: Annotated[Path | None, typer.Option(help="where to write scores.csv, summary.json and reliability.png "
                                             "(default: RESULTS_DIR/scores)")] = None,
    status_quo_month: Annotated[str, typer.Option(help="the status-quo forecaster's month: it forecasts that "
                                                  "nothing changes after it (the last calibration month)")
                                ] = "2024-12",
) -> None:
    """Score the run's forecasts of observed events (Brier and log scores, skill against a
    uniform and a status-quo forecaster, reliability diagram)."""
    from .scoring_io import run_score, text_table

    try:
        table, summary, paths = run_score(observed, results_dir, out, status_quo_month)
    except ConfigError as e:
        _fail(str(e))
    typer.echo(text_table(table, summary))
    typer.echo("written:")
    for key, p in paths.items():
        typer.echo(f"  {key:<12} {p}")


@app.command(epilog=examples("check"))
def check(config: Annotated[Path, typer.Argument(help="experiment config (YAML)")],
          set_: Annotated[list[str] | None, typer.Option("--set", help="override: dotted.key=value")] = None) -> None:
    """Validate a config (and overrides) without running it."""
    try:
        cfg = load_config(config, set_options(set_))
        _check_limits(cfg, config)
    except ConfigError as e:
        _fail(str(e))
    typer.echo(f"{config}: ok ({len(cfg.vendors)} named vendors + {cfg.long_tail.count} long-tail, "
               f"{cfg.scale.consumers} consumers, {cfg.scale.enterprises} enterprises, "
               f"{cfg.run.months} months from {cfg.run.start})")


@app.command(epilog=examples("viz"))
def viz(
    config: Annotated[Path | None, typer.Argument(help="config to open first (default: the baseline)")] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="port")] = 8765,
    host: Annotated[str, typer.Option(help="address to bind; 127.0.0.1 keeps it on this machine")] = "127.0.0.1",
    verbose: Annotated[bool, typer.Option("--verbose", help="show the web server's own warnings and logs")] = False,
) -> None:
    """Start the browser app and print its URL; Ctrl-C stops it. Each browser tab gets its own run."""
    import os
    import signal
    import subprocess
    import sys

    from .viz.app_paths import APP_FILE, CONFIG_ENV
    from .viz.offline_assets import ensure_cdn_aliases

    ensure_cdn_aliases()  # before the server starts: it serves these files

    env = dict(os.environ)
    if config is not None:
        try:
            load_config(config)
        except ConfigError as e:
            _fail(str(e))
        env[CONFIG_ENV] = str(config.resolve())
    busy = port_in_use(host, port)
    if busy:
        _fail(f"port {port} on {host} is in use ({busy}); try  market-sim viz --port {port + 1}")
    cmd = [sys.executable, "-m", "solara", "run", str(APP_FILE), "--host", host, "--port", str(port),
           "--no-open", "--production", "--log-level", "warning" if verbose else "error", "--no-check-version"]
    if not verbose:
        env.update(quiet_server_env())
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    typer.echo(f"market-sim viz: http://{shown}:{port}/  (Ctrl-C to stop)")
    proc = subprocess.Popen(cmd, env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        typer.echo("market-sim viz: stopped")
        return
    if code:
        raise typer.Exit(code)


@app.command(epilog=examples("schema"))
def schema(
    priors: Annotated[bool, typer.Option("--priors", help="the assumed parameters' priors (key, default, range, "
                                         "scale, reason) instead of the JSON Schema")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="with --priors: the Markdown page "
                                           "(docs/priors.md)")] = False,
) -> None:
    """Print the config schema (JSON Schema), or with --priors the assumed parameters' priors."""
    if markdown and not priors:
        _fail("--markdown goes with --priors: market-sim schema --priors --markdown")
    if priors:
        from .priors import priors_markdown, priors_text

        typer.echo(priors_markdown() if markdown else priors_text(), nl=not markdown)
        return
    typer.echo(json.dumps(schema_json(), indent=2))


@app.command("list", epilog=examples("list"))
def list_(what: Annotated[str, typer.Argument(help="scenarios, experiments or keys")]) -> None:
    """List the scenarios (configs), the experiments, or the keys `--set` accepts."""
    from .cli_lists import LISTS

    if what not in LISTS:
        _fail(f"list {what!r}: choose one of {', '.join(LISTS)}")
    for line in LISTS[what]():
        typer.echo(line)


_register_reliability(app)
_register_calibrate(app)


def main() -> None:
    cli_help.conventional(typer.main.get_command(app))(prog_name="market-sim")


if __name__ == "__main__":
    main()
