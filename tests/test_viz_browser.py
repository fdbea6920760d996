"""The browser app in a real browser: Playwright drives Debian's chromium against
`market-sim viz` on a free loopback port. One browser for the module (the machine is shared);
separate browser contexts are separate sessions."""

import io
import itertools
import os
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from market_sim.config import load_config

from .conftest import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync"]
INSTALL_HINT = "install it with: apt-get install -y chromium  (and pip install playwright, in the project's venv)"
SHOTS = Path(os.environ.get("MARKET_SIM_SHOTS", "/tmp/market-sim-shots"))
# the baseline's named vendors in config order (the board lists them so)
NAMED = [v.name for v in load_config(ROOT / "configs" / "baseline_2024.yaml").vendors.values()]


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        missing = "playwright (Python package)"
    else:
        missing = None if CHROMIUM.exists() else str(CHROMIUM)
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is missing under CI=true; {INSTALL_HINT}")
        pytest.skip(f"{missing} is missing; {INSTALL_HINT}")


@pytest.fixture(scope="module")
def server():
    _browser_or_skip()
    port = free_port()
    exe = Path(sys.executable).parent / "market-sim"
    log = SHOTS.parent / f"market-sim-viz-{port}.log"  # a file, not a pipe nobody reads (a full pipe blocks it)
    proc = subprocess.Popen([str(exe), "viz", "--port", str(port)], stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = log.read_text(errors="replace")
            proc.kill()
            pytest.fail(f"market-sim viz did not serve {url}: {out[-2000:]}")
        time.sleep(0.5)
    yield url
    print(f"server log: {log}")
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C would
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser, url, width=1400, height=1000):
    """A new session (own context: own cookies) at the start of a run."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True).new_page()
    page.goto(url, timeout=120_000)
    expect(page.locator("#market-month")).to_contain_text("Month", timeout=120_000)
    return page


def _step(page, times=1):
    from playwright.sync_api import expect

    for _ in range(times):
        before = page.locator("#market-progress").inner_text()
        page.locator(".ms-step").click()
        expect(page.locator("#market-progress")).not_to_have_text(before, timeout=30_000)


def _shot(page, name):
    """A picture of the whole page (the app scrolls inside a container, so grow the viewport)."""
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('.ms-page').scrollHeight + 40")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.wait_for_timeout(1500)  # let the charts redraw at the new size
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


def test_sessions_are_independent_and_reload_starts_afresh(server, browser):
    from playwright.sync_api import expect

    a, b = _open(browser, server), _open(browser, server)
    _step(a, 3)
    expect(a.locator("#market-month")).to_have_text("Month 2024-03")
    expect(b.locator("#market-month")).to_contain_text("(start)")  # B did not move with A
    _step(b, 1)
    expect(b.locator("#market-month")).to_have_text("Month 2024-01")
    expect(a.locator("#market-month")).to_have_text("Month 2024-03")  # nor A with B
    a.reload()
    expect(a.locator("#market-month")).to_contain_text("(start)", timeout=60_000)  # a reload is a fresh run
    expect(b.locator("#market-month")).to_have_text("Month 2024-01")
    third = _open(browser, server)  # a newcomer starts at the start, wherever others are
    expect(third.locator("#market-month")).to_contain_text("(start)")
    for p in (a, b, third):
        p.context.close()


def test_the_horizon_cannot_be_passed(server, browser):
    from playwright.sync_api import expect

    page = _open(browser, server)
    page.locator(".ms-play").click()
    expect(page.locator("#market-progress")).to_contain_text("month 24 of 24", timeout=120_000)
    expect(page.locator(".ms-step")).to_be_disabled(timeout=10_000)
    expect(page.locator(".ms-play")).to_be_disabled(timeout=10_000)
    expect(page.locator(".ms-horizon")).to_contain_text("the run is complete")
    page.wait_for_timeout(1000)
    expect(page.locator("#market-month")).to_have_text("Month 2025-12")  # Play stopped at the horizon
    assert "Error" not in page.locator(".ms-page").inner_text()
    _shot(page, "horizon_1400")
    page.reload()  # a reload re-enables Step on a fresh run, not on the finished one
    expect(page.locator("#market-month")).to_contain_text("(start)", timeout=60_000)
    expect(page.locator(".ms-step")).to_be_enabled()
    page.context.close()


def test_falls_behind_panel_names_every_vendor_with_a_cause(server, browser):
    from playwright.sync_api import expect

    page = _open(browser, server)
    _step(page, 6)
    rows = page.locator(".ms-falls-behind .fb-row")
    expect(rows).to_have_count(len(NAMED))
    for i, name in enumerate(NAMED):
        row = rows.nth(i)
        assert row.get_attribute("data-vendor") == name
        assert len(row.locator("td.cause").inner_text().strip()) > 5
    expect(page.locator(".ms-falls-behind")).to_contain_text("falls behind if")  # the definition
    _shot(page, "falls_behind_1400")
    page.context.close()


def test_invalid_seed_is_refused_visibly(server, browser):
    from playwright.sync_api import expect

    page = _open(browser, server)
    seed = page.locator(".ms-seed input")
    seed.fill("abc")
    seed.press("Enter")
    expect(page.get_by_text("seed must be a whole number")).to_be_visible(timeout=10_000)
    expect(page.locator(".ms-reset")).to_be_disabled()
    seed.fill("7")
    seed.press("Enter")
    expect(page.locator(".ms-pending")).to_contain_text("Press Reset to apply", timeout=10_000)
    page.locator(".ms-reset").click()
    expect(page.locator("#market-progress")).to_contain_text("seed 7", timeout=30_000)
    page.context.close()


def test_ensemble_runs_20_replications_with_intervals(server, browser):
    from playwright.sync_api import expect

    page = _open(browser, server)
    started = time.monotonic()
    page.locator(".ms-run-ensemble").click()
    status = page.locator("#ensemble-status")
    expect(status).to_contain_text("of 20 replications finished", timeout=60_000)  # streamed, not all at once
    partial = status.inner_text()
    expect(status).to_contain_text("20 of 20 replications finished in", timeout=180_000)
    elapsed = time.monotonic() - started
    charts = page.locator(".ms-ensemble .vega-embed")
    expect(charts).to_have_count(2, timeout=30_000)  # P(falls behind) with intervals, and the fan charts
    expect(page.locator(".ms-ensemble-n")).to_contain_text("baseline_2024: 20 replications")  # all of them count
    page.wait_for_timeout(1500)
    _shot(page, "ensemble_1400")
    print(f"ensemble: first status {partial!r}; 20 replications {elapsed:.1f} s from the click "
          f"(app says: {status.inner_text()})")
    page.context.close()


def test_two_scenarios_side_by_side_with_paired_difference(server, browser):
    from playwright.sync_api import expect

    page = _open(browser, server)
    slider = page.locator(".ms-ensemble .v-slider").first
    slider.click(position={"x": 2, "y": 5})  # the slider's left end: 5 replications
    expect(page.locator(".ms-ensemble")).to_contain_text("replications: 5")
    page.get_by_role("button", name="compare with").click(force=True)
    page.get_by_role("option", name="scenarios/funding_winter").click()
    page.locator(".ms-run-ensemble").click()
    expect(page.locator("#ensemble-status")).to_contain_text("10 of 10 replications finished in", timeout=120_000)
    table = page.locator(".ms-paired tr")
    expect(table).to_have_count(len(NAMED) + 1, timeout=30_000)
    assert "funding_winter" in page.locator(".ms-paired").inner_text()
    _shot(page, "compare_1400")
    page.context.close()


def test_export_of_the_current_run(server, browser):
    page = _open(browser, server)
    _step(page, 2)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download run (zip)").click()
    data = Path(info.value.path()).read_bytes()
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"vendor_month.csv", "vendor_month.parquet", "events.csv", "config.yaml", "COMMAND.txt"} <= names
    command = zipfile.ZipFile(io.BytesIO(data)).read("COMMAND.txt").decode()
    assert "market-sim run config.yaml --seed 1" in command
    page.context.close()


def _overlaps(page) -> tuple[list[str], list[str]]:
    """Pairs of app boxes that intersect, and boxes cut off (wider than their panel or the window)."""
    boxes = page.evaluate("""() => [...document.querySelectorAll('.ms-sidebar, .ms-header, .ms-panel')].map(e => {
        const r = e.getBoundingClientRect();
        return {name: e.className, x: r.left, y: r.top, w: r.width, h: r.height,
                sw: e.scrollWidth, cw: e.clientWidth, vw: window.innerWidth}; })""")
    overlapping = []
    for p, q in itertools.combinations(boxes, 2):
        if (p["x"] < q["x"] + q["w"] - 1 and q["x"] < p["x"] + p["w"] - 1 and p["y"] < q["y"] + q["h"] - 1
                and q["y"] < p["y"] + p["h"] - 1):
            overlapping.append(f"{p['name']} x {q['name']}")
    cut = [f"{b['name']}: content {b['sw']} > box {b['cw']}" for b in boxes if b["sw"] > b["cw"] + 1]
    cut += [f"{b['name']}: right edge {b['x'] + b['w']:.0f} > window {b['vw']}" for b in boxes
            if b["x"] + b["w"] > b["vw"] + 1]
    return overlapping, cut


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_no_overlap_or_cut_off(server, browser, width, height):
    from playwright.sync_api import expect

    page = _open(browser, server, width, height)
    expect(page.locator(".ms-panel .vega-embed")).to_have_count(5, timeout=30_000)
    overlapping, cut = _overlaps(page)
    assert not overlapping and not cut, (overlapping, cut)
    _step(page, 13)  # past the scenario's change month: legends, markers and longer event lists
    page.wait_for_timeout(1500)
    overlapping, cut = _overlaps(page)
    assert not overlapping and not cut, (overlapping, cut)
    _shot(page, f"layout_{width}")
    page.context.close()
