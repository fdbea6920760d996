"""The browser app in a real browser: Playwright drives Debian's chromium against
`market-sim viz` on a free loopback port."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync"]
INSTALL_HINT = "install it with: apt-get install -y chromium  (and pip install playwright, in the project's venv)"


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
    proc = subprocess.Popen([str(exe), "viz", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
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
            out = proc.stdout.read().decode(errors="replace") if proc.poll() is not None else ""
            proc.kill()
            pytest.fail(f"market-sim viz did not serve {url}: {out[-2000:]}")
        time.sleep(0.5)
    yield url
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C would
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _month(page) -> str:
    return page.locator("#market-month").inner_text(timeout=30_000)


def _chart_pixels(page, index: int) -> bytes:
    """What a chart shows (Vega draws on a canvas, so compare its pixels)."""
    return page.locator(".vega-embed").nth(index).screenshot()


def test_step_play_scenario_and_reset_in_a_real_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1300})
            page.goto(server, timeout=60_000)
            month = page.locator("#market-month")
            expect(month).to_contain_text("(start)", timeout=60_000)
            assert "2023-12" in _month(page)
            expect(page.get_by_text("No events yet")).to_be_visible()
            # shares (two panels), prices, network, capability, cash
            expect(page.locator(".vega-embed")).to_have_count(5, timeout=30_000)
            first_chart = _chart_pixels(page, 0)
            step = page.get_by_role("button", name="Step")
            for expected in ("2024-01", "2024-02", "2024-03", "2024-04"):
                step.click()
                expect(month).to_have_text(f"Month {expected}", timeout=30_000)
            # the event feed and the charts moved on
            feed = page.locator(".event-feed li")
            expect(feed.first).to_be_visible(timeout=30_000)
            assert feed.count() > 0
            assert "2024-" in feed.first.inner_text()
            page.wait_for_timeout(1000)  # let the charts' canvases finish drawing
            assert _chart_pixels(page, 0) != first_chart
            assert page.locator(".status-board tr").count() >= 11  # header + 10 named vendors (+ tail)
            page.screenshot(path=str(tmp_path / "after_steps.png"), full_page=True)

            # pick another scenario, reset, and the model is rebuilt from the controls
            page.get_by_role("textbox", name="Scenario").click(force=True)
            page.get_by_text("scenarios/funding_winter", exact=True).click()
            page.get_by_role("button", name="Reset").click()
            expect(month).to_contain_text("(start)", timeout=30_000)
            expect(page.get_by_text("Scenario: scenarios/funding_winter")).to_be_visible(timeout=30_000)
            step.click()
            expect(month).to_have_text("Month 2024-01", timeout=30_000)
            page.wait_for_timeout(1500)  # let the charts finish drawing before the picture
            page.screenshot(path=str(tmp_path / "scenario_reset.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "after_steps.png").stat().st_size > 50_000
    print(f"screenshots: {tmp_path}")
