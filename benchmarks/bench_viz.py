"""How long a step plus redraw takes in the browser app (docs/performance.md).

    .venv/bin/python benchmarks/bench_viz.py            # server side, and the browser if chromium is there

1. Server side, no browser: one model step at the app's default scale (5,000 consumers) plus
   building every chart's Vega-Lite spec, as the app does per frame; median over 23 steps.
2. In a real browser (Debian's chromium, driven by Playwright): start `market-sim viz`, press
   Step and wait until the month label has changed and every chart's canvas differs from
   before the click; median over 12 steps.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-quic", "--disable-sync"]


def server_side(steps: int = 23) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from market_sim.viz import app, charts
    model = app.VizMarketModel()
    builders = {"shares": charts.shares_chart, "prices": charts.prices_chart, "network": charts.network_chart,
                "capability": charts.capability_chart, "cash": charts.cash_chart}
    cache: dict = {}

    def frame():  # what the app does per frame: spec from cache, data fresh
        for name, b in builders.items():
            charts.spec_with_data(cache, (name, *charts.structure_key(model)), lambda data, b=b: b(model, data=data))

    frame()  # warm-up
    step_s, spec_s = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        frame()
        spec_s.append(time.perf_counter() - t1)
        step_s.append(t1 - t0)
    return {"steps": steps, "consumers": model.cfg.scale.consumers, "step_ms": 1e3 * statistics.median(step_s),
            "specs_ms": 1e3 * statistics.median(spec_s),
            "step_plus_specs_ms": 1e3 * statistics.median(a + b for a, b in zip(step_s, spec_s))}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_browser(steps: int = 12) -> dict | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    port = _free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "market-sim"), "viz", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1500})
            page.goto(url, timeout=60_000)
            page.wait_for_selector("#market-month", timeout=60_000)
            page.wait_for_timeout(3_000)
            snapshot = """() => Array.from(document.querySelectorAll('.vega-embed canvas')).map(c => c.toDataURL())"""
            times = []
            for _ in range(steps):
                before_label = page.locator("#market-month").inner_text()
                before = page.evaluate(snapshot)
                t0 = time.perf_counter()
                page.get_by_role("button", name="Step").click()
                page.wait_for_function(
                    """([label, before]) => {
                        const now = Array.from(document.querySelectorAll('.vega-embed canvas')).map(c => c.toDataURL());
                        return document.querySelector('#market-month').innerText !== label
                               && now.length === before.length && now.every((d, i) => d !== before[i]);
                    }""", arg=[before_label, before], timeout=30_000, polling=10)
                times.append(time.perf_counter() - t0)
            browser.close()
        return {"steps": steps, "median_ms": 1e3 * statistics.median(times), "all_ms": [round(1e3 * t) for t in times]}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    server = server_side()
    print(f"server side ({server['consumers']:,} consumers, median of {server['steps']} steps): "
          f"step {server['step_ms']:.1f} ms + chart specs {server['specs_ms']:.1f} ms = "
          f"{server['step_plus_specs_ms']:.1f} ms")
    browser = in_browser()
    if browser:
        print(f"in chromium (click Step -> month label and every chart redrawn), median of {browser['steps']}: "
              f"{browser['median_ms']:.0f} ms  {browser['all_ms']}")
    else:
        print("no browser: apt-get install chromium and pip install playwright to measure in one")
    out = ROOT / "benchmarks" / "results" / "bench_viz.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"server": server, "browser": browser}, indent=2))


if __name__ == "__main__":
    main()
