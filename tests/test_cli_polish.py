"""CLI polish: --version, `list`, conventional help with examples, `viz` on a busy port."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from market_sim.cli import app

EXE = Path(sys.executable).parent / "market-sim"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_version_and_lists():
    assert invoke("--version").output.startswith("market-sim ")
    r = invoke("list", "scenarios")
    assert r.exit_code == 0 and "scenarios/funding_winter" in r.output and "Changes start in 2025-01" in r.output
    assert "price_war.intensity = " in invoke("list", "keys").output
    assert "who_falls_behind_2025" in invoke("list", "experiments").output
    assert invoke("list", "nonsense").exit_code == 2


@pytest.mark.slow  # a subprocess per command (15 s)
def test_help_has_examples_and_conventional_labels():
    for command in ("run", "sweep", "experiment", "viz", "list", "check"):
        text = subprocess.run([str(EXE), command, "--help"], capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "120"}).stdout
        assert "Examples:" in text and f"market-sim {command}" in text, command
        for odd in ("<bool>", "<list[str]>", "<int range>", "<path>", "--no-quiet"):
            assert odd not in text, (command, odd)


@pytest.mark.slow  # starts the server process
def test_viz_fails_cleanly_on_a_busy_port_before_printing_its_url():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([str(EXE), "viz", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "in use" in r.stderr and "http://" not in r.stdout


def test_experiment_prints_its_answer(tmp_path, capsys):
    from market_sim.cli_extras import print_answer

    report = tmp_path / "report.md"
    report.write_text("# x\n\n## Answer\n\n**Who falls behind.** Zhipu 0.6\n\n## P(falls behind)\n\n| a |\n\n"
                      "![P](figures/falls_behind.png)\n\n## Ranks\n\nmore\n")
    print_answer(report)
    out = capsys.readouterr().out
    assert "Who falls behind" in out and "| a |" in out and "more" not in out
