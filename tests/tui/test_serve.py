"""``artgen serve`` in a real browser: Debian's chromium, driven headless by Selenium.

The page draws the studio on a canvas, so what it shows is checked in a
screenshot's pixels, and what it did in the job history and on disk.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from artgen.cli.serve import loopback, reach_note
from artgen.jobs import HistoryStore

REPO = Path(__file__).resolve().parents[2]


def test_who_can_reach_the_studio_is_said_in_a_line():
    assert loopback("127.0.0.1") and loopback("localhost") and loopback("::1")
    assert not loopback("0.0.0.0") and not loopback("gpu-box")
    assert "only this machine" in reach_note("127.0.0.1", 8000)
    assert "anyone who can reach port 8000" in reach_note("0.0.0.0", 8000)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def studio_server(tmp_path):
    """``artgen serve`` on a free loopback port, in ``tmp_path``; its own process group, ended after."""
    port = _free_port()
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    process = subprocess.Popen(
        [sys.executable, "-m", "artgen", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the studios it starts for each page are in its group
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "artgen serve did not listen within 30 s"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/", process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "needs Debian's chromium and chromium-driver (apt-get install them)"
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,800"):
        options.add_argument(argument)
    session = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield session
    finally:
        session.quit()


def _screenshot(browser) -> Image.Image:
    return Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")


@pytest.mark.slow
def test_the_studio_in_a_browser_draws_home_and_runs_a_walk_to_done(studio_server, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, server = studio_server
    browser.get(url)
    deadline = time.monotonic() + 120  # a cold studio process on a busy 2-core machine
    while True:  # the page fades the studio in once its first bytes arrive: text on a dark ground
        picture = _screenshot(browser)
        colours = len(picture.getcolors(1 << 20) or [])
        spread = ImageStat.Stat(picture.convert("L")).stddev[0]
        drawn = "-first-byte" in (browser.find_element(By.TAG_NAME, "body").get_attribute("class") or "")
        if drawn and colours > 50 and spread > 10:
            break
        assert time.monotonic() < deadline, f"the page stayed blank ({colours} colours, spread {spread:.1f})"
        time.sleep(0.5)

    browser.find_element(By.ID, "terminal").click()  # the terminal takes the keys
    ActionChains(browser).send_keys("w").perform()  # a walk's form, filled in for one key
    time.sleep(2)
    ActionChains(browser).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()

    store = HistoryStore()  # $ARTGEN_DATA_DIR: the test's own, which the server's studios share
    deadline = time.monotonic() + 180
    while True:
        walks = [record for record in store.all() if record.kind == "walk"]
        if walks and not walks[0].active:
            break
        assert time.monotonic() < deadline, f"no walk finished; server said: {server.poll()}"
        time.sleep(1)
    (walk,) = walks
    assert walk.state == "done", walk.error
    assert walk.output == str(tmp_path / "walk-1.gif") and Path(walk.output).is_file()
