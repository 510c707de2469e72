"""The dashboard in a real browser, the way a person uses it.

``wengang app`` serves the page on 127.0.0.1; Debian's chromium (installed by
``scripts/install_chromium.sh``), driven by Playwright, loads it, runs the
baseline for 12 months, switches village monitoring off, resets, runs 12 more
months and checks that zero-employment households, the employment figure and
the zero-employment chart changed, with no error in the browser console and
no traceback on the server.  The chart is compared by the share of its
pixels that changed clearly (:func:`changed_share`), not by its bytes, which
differ for rendering reasons alone.  The screenshot is saved to
``test-artifacts/dashboard.png`` (``WENGANG_TEST_ARTIFACTS`` overrides the
folder).

Without /usr/bin/chromium or Playwright the test is skipped, except under CI
(``CI=true``), where it fails (``tests/conftest.py:need``): CI must run the
set-up script.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from ..conftest import need, require

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("WENGANG_TEST_ARTIFACTS", ROOT / "test-artifacts"))
MONTHS = 12
UI_TIMEOUT_MS = 60_000
SETUP = "run scripts/install_chromium.sh"
PIXEL_STEP = 64
"""A pixel has changed when a colour channel moved by more than this (of 255):
anti-aliasing and font hinting move edges by less."""
CHART_CHANGED = 0.005
"""A chart has changed when more than this share of its pixels has (a redrawn
curve moves thousands of pixels; rendering noise moves a few edge pixels)."""


def changed_share(a: bytes, b: bytes) -> float:
    """Share of pixels of two PNG images that differ clearly (:data:`PIXEL_STEP`)."""
    from PIL import Image

    first, second = (Image.open(io.BytesIO(x)).convert("RGB") for x in (a, b))
    if second.size != first.size:
        second = second.resize(first.size)
    diff = np.abs(np.asarray(first, np.int16) - np.asarray(second, np.int16)).max(axis=2)
    return float((diff > PIXEL_STEP).mean())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """``wengang app`` on a free port, in its own process group; the log is checked at the end."""
    need(CHROMIUM.exists(), f"{CHROMIUM} not found", SETUP)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need(False, "playwright is not installed", "pip install -e .[dev]")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("app") / "server.log"
    env = {**os.environ, "WENGANG_APP_SCALE": "0.03", "PYTHONUNBUFFERED": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "model.cli", "app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # `wengang app` starts solara as a child: stop the whole group
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`wengang app` exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`wengang app` did not answer on {url} within 180 s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield url, log_path
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _number(page, testid: str) -> float:
    text = page.get_by_test_id(testid).inner_text()
    return float(re.sub(r"[^0-9.\-]", "", text))


def _step(page, months: int) -> dict[str, float]:
    """Press Step once per month, waiting for each month to show; return the readout."""
    from playwright.sync_api import expect

    step = page.get_by_role("button", name="Step", exact=True)
    start = int(page.get_by_test_id("month").inner_text().split()[0])
    for month in range(start + 1, start + months + 1):
        step.click()
        expect(page.get_by_test_id("month")).to_have_text(re.compile(rf"^{month} \("), timeout=UI_TIMEOUT_MS)
    return {k: _number(page, k) for k in ("zero-employment-households", "employed", "public-posts", "fiscal-cost")}


@pytest.mark.slow
def test_monitoring_lever_moves_zero_employment_households(app_url):
    from playwright.sync_api import expect, sync_playwright

    url, log_path = app_url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        try:
            page.goto(url, wait_until="domcontentloaded")
            expect(page.get_by_test_id("month")).to_have_text(re.compile(r"^0 \("), timeout=UI_TIMEOUT_MS)

            # the baseline: monitoring in every village, dynamic clearing within its budget
            baseline = _step(page, MONTHS)
            zero_chart = page.locator(".wengang-zero-employment")
            baseline_chart = zero_chart.screenshot()
            baseline_again = zero_chart.screenshot()  # the same model state, drawn again

            # the lever: no village has a labour-security assistant any more
            slider = page.locator(".v-slider", has_text="monitoring.coverage").get_by_role("slider")
            slider.focus()
            slider.press("Home")
            expect(slider).to_have_attribute("aria-valuenow", "0")
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(page.get_by_test_id("changed")).to_contain_text("monitoring.coverage = 0", timeout=UI_TIMEOUT_MS)
            expect(page.get_by_test_id("month")).to_have_text(re.compile(r"^0 \("), timeout=UI_TIMEOUT_MS)

            without = _step(page, MONTHS)
            without_chart = zero_chart.screenshot()
        finally:
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
            browser.close()

    more = without["zero-employment-households"] - baseline["zero-employment-households"]
    assert more > 1000, f"monitoring off should leave more households at zero employment: {baseline} -> {without}"
    assert without["employed"] < baseline["employed"], "without monitoring fewer people should be in work"
    assert changed_share(baseline_chart, baseline_again) < CHART_CHANGED, "the chart changed with no model change"
    changed = changed_share(baseline_chart, without_chart)
    assert changed > CHART_CHANGED, f"the zero-employment chart did not change ({changed:.2%} of pixels)"
    assert not errors, "errors in the browser console:\n" + "\n".join(errors)
    log = log_path.read_text()
    assert "Traceback" not in log, f"the server logged an exception:\n{log[-4000:]}"


@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_browser_fails_under_ci_and_skips_elsewhere(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(BaseException, match="install_chromium.sh") as outcome:  # a skip must not pass as a skip
        need(False, "/usr/bin/chromium not found", SETUP)
    assert outcome.type is expected


@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_module_fails_under_ci_and_skips_elsewhere(monkeypatch, ci):
    """``require`` (tests/conftest.py), which every optional dependency goes through."""
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(BaseException, match="no_such_module_wengang is not installed") as outcome:
        require("no_such_module_wengang", "pip install -e .[dev]")
    assert outcome.type is expected
    assert require("json").dumps([1]) == "[1]"


def _chart(zeros: list[float], jitter: int = 0) -> bytes:
    """A zero-employment chart as the dashboard draws it (a line over months), as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(figsize=(6, 3), dpi=80)
    ax = fig.subplots()
    ax.plot(range(len(zeros)), zeros)
    ax.set_ylim(0, 40_000)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    if not jitter:
        return buf.getvalue()
    pixels = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.int16)
    noise = np.random.default_rng(1).integers(-jitter, jitter + 1, pixels.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def test_chart_comparison_sees_a_model_change_and_not_rendering_noise():
    """Known answers for :func:`changed_share`: identical charts 0; a chart with
    rendering-sized noise on every pixel (other bytes) below the threshold; the
    same axes with the curve at 20,000 instead of 30,000 above it."""
    base = _chart([30_000.0] * 13)
    noisy = _chart([30_000.0] * 13, jitter=20)
    assert noisy != base and changed_share(base, base) == 0.0
    assert changed_share(base, noisy) < CHART_CHANGED
    assert changed_share(base, _chart([20_000.0] * 13)) > CHART_CHANGED
