"""Helpers of the CLI's newer parts: examples under each command's help, the `viz` port check
and quiet server environment, and the answer `experiment` prints at its end."""

from __future__ import annotations

from pathlib import Path

import typer

EXAMPLES = {  # shown under each command's --help
    "run": ["market-sim run configs/baseline_2024.yaml -n 20 --workers 2",
            "market-sim run configs/scenarios/funding_winter.yaml -n 20 --seed 7 --out results/winter",
            "market-sim run configs/baseline_2024.yaml --set price_war.intensity=0.8 --set scale.consumers=5000"],
    "validate": ["market-sim validate", "market-sim validate configs/scenarios/talent_war.yaml -n 10"],
    "sweep": ["market-sim sweep configs/sweeps/sensitivity_2025.yaml --workers 2",
              "market-sim sweep --resume results/sweeps/sensitivity_2025",
              "market-sim sweep configs/sweeps/sensitivity_2025.yaml --dask local --workers 2"],
    "experiment": ["market-sim experiment who_falls_behind_2025", "market-sim list experiments"],
    "report": ["market-sim report results/sweeps/sensitivity_2025 --vendor moonshot"],
    "check": ["market-sim check configs/baseline_2024.yaml --set talent.mobility=0.05"],
    "viz": ["market-sim viz", "market-sim viz configs/scenarios/funding_winter.yaml --port 8800"],
    "schema": ["market-sim schema > schema.json", "market-sim schema --priors",
               "market-sim schema --priors --markdown > docs/priors.md", "market-sim list keys"],
    "score": ["market-sim score tests/data/observations_synthetic.yaml results/baseline_2024",
              "market-sim score observed.yaml results/baseline_2024 --status-quo-month 2024-12 --out results/scores"],
    "list": ["market-sim list scenarios", "market-sim list experiments", "market-sim list keys"],
}


def examples(command: str) -> str:
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in EXAMPLES[command])


def port_in_use(host: str, port: int) -> str:
    """Why `port` cannot be bound on `host` ("" if it can)."""
    import socket

    with socket.socket() as sock:
        try:
            sock.bind((host or "0.0.0.0", port))
        except OSError as e:
            return e.strerror or str(e)
    return ""


def quiet_server_env() -> dict[str, str]:
    """Environment that keeps the web server's framework warnings out of the terminal."""
    # (not SOLARA_THEME_VARIANT=auto: with it, Solara 1.58.2's page never mounts the app)
    return {"PYTHONWARNINGS": "ignore", "SOLARA_CHECK_HOOKS": "off", "SOLARA_THEME_SHOW_BANNER": "False"}


def print_answer(report: Path, keep: tuple[str, ...] = ("## Answer", "## Caveats", "## P(falls behind")) -> None:
    """The report's answer, caveats and headline table, as the end of `market-sim experiment`."""
    if not report.exists():
        return
    shown, on = [], False
    for line in report.read_text().splitlines():
        if line.startswith("## "):
            on = line.startswith(keep)
        if on and not line.startswith("!["):
            shown.append(line)
    if shown:
        typer.echo("\n" + "\n".join(shown).rstrip() + "\n")
