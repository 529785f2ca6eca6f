"""The notebooks' controls in a real browser (``make test-browser``; not part of ``make test``).

JupyterLab serves copies of the three model notebooks on localhost, each up to and including its "Play with the
model" section (copies: running them must not rewrite the committed notebooks; the cells after that section, the
checks and the Domino notebook's MLP, are run by test_notebooks.py and need no browser). Headless Chromium, driven by
Selenium, opens each one, clears its outputs, runs all cells, moves controls of the interactive section and waits for
the picture to change after each move. No cell may show an error or a warning, no widget may fail to render, and the
browser's console may log no error. ``SCREENSHOT=1`` also saves the Geometry notebook's controls to
docs/images/geometry_controls.png (the README shows it).

Without Chromium or its driver the test skips with one line on how to install them; under CI (``CI`` set) it fails.
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from skill_physics.paper import paths

pytestmark = pytest.mark.browser

INSTALL = ("headless Chromium not found: install it with `apt-get install chromium chromium-driver` (Debian, Ubuntu) "
           "and `pip install selenium`, then run `make test-browser`")
SCREENSHOT = paths.ROOT / "docs" / "images" / "geometry_controls.png"


def slider(label):
    return f"//div[contains(@class, 'widget-slider')][.//label[normalize-space() = '{label}']]//*[contains(@class, " \
           f"'noUi-handle')]"


def select(label):
    return f"//div[contains(@class, 'widget-inline-hbox')][.//label[normalize-space() = '{label}']]//select"


def button(text):
    return f"//div[contains(@class, 'widget-toggle-buttons')]//button[normalize-space() = '{text}']"


# per notebook, the controls to move: (XPath in the interactive cell, what to do)
MOVES = {
    "geometry_model.ipynb": [(select("optimizer"), "adam"), (slider("K"), "right")],
    "resource_model.ipynb": [(slider("N0"), "right"), (button("ce"), "click")],
    "domino_model.ipynb": [(slider("K"), "left")],
}

# the state of the panel of notebook arguments[0], through the app object that --LabApp.expose_app_in_browser publishes
STATE_JS = """
const w = window.jupyterapp && [...window.jupyterapp.shell.widgets('main')].find(
    w => w.context && w.context.path === arguments[0]);
if (!w || !w.content || !w.sessionContext || !w.context.isReady) return null;
const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
const cells = w.content.widgets.filter(c => c.model.type === 'code');
return {kernel: kernel ? kernel.status : null,
        counts: cells.map(c => c.model.executionCount),
        outputs: cells.map(c => c.model.outputs.toJSON().map(
            o => o.output_type === 'stream' ? o.name : o.output_type))};
"""
PANEL_JS = """
return [...window.jupyterapp.shell.widgets('main')].find(w => w.context && w.context.path === arguments[0]).node;
"""
# shut the notebook's kernel down and close its tab (the next notebook gets the machine to itself)
CLOSE_JS = """
const w = [...window.jupyterapp.shell.widgets('main')].find(w => w.context && w.context.path === arguments[0]);
w.context.model.dirty = false;   // close without the "save your work?" dialog
w.sessionContext.shutdown().then(() => w.close());
"""
PICTURE_JS = """
const cell = [...arguments[0].querySelectorAll('.jp-CodeCell')].find(c => c.querySelector('.widget-hbox'));
const img = cell && cell.querySelector('.jp-OutputArea-output img');
return img ? img.src : null;
"""


def executable(*names):
    return next((path for path in map(shutil.which, names) if path), None)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free localhost port, serving the notebooks up to their interactive cell; yields (URL, token)."""
    root = tmp_path_factory.mktemp("lab")
    for name in MOVES:
        nb = nbformat.read(paths.ROOT / name, as_version=4)
        last = next(i for i, cell in enumerate(nb.cells) if "_picture = live(draw, controls)" in cell.source)
        nb.cells = nb.cells[:last + 1]
        nbformat.write(nb, root / name)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    config = tmp_path_factory.mktemp("jupyter_config")   # no user settings, no extension manager lookups
    # no news toast over the screenshot; no debugger, whose state requests race the kernels' shutdown
    (config / "labconfig").mkdir()
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
        "@jupyterlab/apputils-extension:announcements": True, "@jupyterlab/debugger-extension": True}}))
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.workspaces_dir={config}", "--ServerApp.allow_root=True"]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")])))
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                assert server.poll() is None, (root / "lab.log").read_text()
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start in 60 s:\n" + (root / "lab.log").read_text())
        yield url, token
    finally:
        server.terminate()
        server.wait(30)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = executable("chromium", "chromium-browser", "google-chrome")
    driver_path = executable("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        chromium = None
    if chromium is None or driver_path is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL)
        pytest.skip(INSTALL)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1500,1100",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def wait(condition, timeout, what):
    """Poll condition() until it returns something true; fail after timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.parametrize("name", list(MOVES))
def test_controls_redraw_in_the_browser(browser, lab, name):   # browser first: a skip starts no server
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
    url, token = lab
    if browser.current_url.startswith(url):   # JupyterLab is loaded: open the next notebook in it, no page reload
        browser.execute_script("window.jupyterapp.commands.execute('docmanager:open', {path: arguments[0]})", name)
    else:
        browser.get(f"{url}/lab/tree/{name}?token={token}")
    wait(lambda: (browser.execute_script(STATE_JS, name) or {}).get("kernel") == "idle", 60,
         "the notebook and its kernel")
    panel = browser.execute_script(PANEL_JS, name)
    panel.find_element(By.CSS_SELECTOR, ".jp-Cell").click()   # focus it: the commands act on the focused notebook
    browser.execute_script("return window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def finished():
        state = browser.execute_script(STATE_JS, name)
        return state if state["kernel"] == "idle" and None not in state["counts"] else None

    state = wait(finished, 90, f"{name} to run")
    problems = {i: kinds for i, kinds in enumerate(state["outputs"]) if {"error", "stderr"} & set(kinds)}
    assert not problems, f"code cells with an error or a warning: {problems}"
    picture = wait(lambda: browser.execute_script(PICTURE_JS, panel), 30, "the interactive picture")
    assert "Error displaying widget" not in panel.text
    output = panel.find_element(By.XPATH, ".//div[contains(concat(' ', @class, ' '), ' jp-OutputArea ')]"
                                          "[.//div[contains(@class, 'widget-hbox')]]")
    if name == "geometry_model.ipynb" and os.environ.get("SCREENSHOT"):
        browser.execute_script("arguments[0].scrollIntoView()", output)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        output.screenshot(str(SCREENSHOT))
    for xpath, action in MOVES[name]:
        control = output.find_element(By.XPATH, "." + xpath)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", control)
        if action in ("left", "right"):
            control.click()
            control.send_keys(Keys.ARROW_RIGHT if action == "right" else Keys.ARROW_LEFT)
        elif action == "click":
            control.click()
        else:
            Select(control).select_by_visible_text(action)
        new = wait(lambda: (browser.execute_script(PICTURE_JS, panel) or picture) != picture and
                   browser.execute_script(PICTURE_JS, panel), 30, f"the picture to change after moving {xpath}")
        assert new.startswith("data:image/png")
        picture = new
    state = browser.execute_script(STATE_JS, name)
    assert not [kinds for kinds in state["outputs"] if {"error", "stderr"} & set(kinds)]
    browser.execute_script(CLOSE_JS, name)
    severe = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
              and "favicon" not in entry["message"]]
    assert not severe, severe
