#!/usr/bin/python3
"""Drives headless Chromium through the EULA flow of a running container (see run.sh).

Steps, each with a screenshot: the license page (desktop and phone widths), the page after
"Accept" (Jupyter is starting), Jupyter's login page reached without a manual reload, JupyterLab
after logging in with the token that `docker logs` shows, a notebook opened in JupyterLab, and
`spark.range(1000).count()` typed into a cell, run, and its 1000 in the output. Every wait is
bounded.
"""
import argparse
import re
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def wait_for(predicate, timeout, what, step=0.5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return
        except WebDriverException:
            pass  # the page is changing under us (the server exits, Jupyter starts)
        time.sleep(step)
    fail("timed out after %ds waiting for %s" % (timeout, what))


def visible(d, css):
    return any(e.is_displayed() for e in d.find_elements(By.CSS_SELECTOR, css))


def on_jupyter_login(d):
    """Jupyter's login page (jupyter_server 2), judged by its DOM, not by URL."""
    if d.execute_script("return document.readyState") != "complete":
        return False
    return visible(d, "#password_input, input[name=password]")


def in_jupyterlab(d):
    """JupyterLab's shell has rendered (its main dock panel and the file browser)."""
    return visible(d, "#jp-main-dock-panel") and visible(d, ".jp-DirListing")


def docker_logs(container):
    r = subprocess.run(["docker", "logs", container], capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--profile", required=True)
    ap.add_argument("--container", required=True)
    ap.add_argument("--notebook", required=True, help="an empty notebook's name in /notebooks")
    a = ap.parse_args()

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for f in FLAGS + ["--user-data-dir=" + a.profile, "--window-size=1280,900"]:
        opts.add_argument(f)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(30)
    try:
        shot = lambda name: d.save_screenshot("%s/%s.png" % (a.artifacts, name))

        # 1. the license page
        d.get(a.url)
        if "license terms" not in d.title:
            fail("unexpected title on the EULA page: %r" % d.title)
        terms = d.find_element(By.CSS_SELECTOR, ".terms").text
        if "license" not in terms.lower() or len(terms) < 200:
            fail("the license text is missing from the page")
        accept = d.find_element(By.ID, "accept")
        if not accept.is_displayed() or "Accept" not in accept.text:
            fail("no visible Accept button")
        shot("01-eula-desktop")
        d.set_window_size(390, 844)  # a phone
        shot("02-eula-phone")
        width = d.execute_script("return document.documentElement.scrollWidth")
        if width > 400:
            fail("the page scrolls sideways on a phone (%dpx wide)" % width)
        d.set_window_size(1280, 900)

        # 2. accept
        accept.click()
        wait_for(lambda: "Jupyter is starting" in d.title or on_jupyter_login(d), 30,
                 "the page after Accept")
        shot("03-accepted")

        # 3. the page takes the browser to Jupyter by itself once Jupyter answers: its login
        wait_for(lambda: on_jupyter_login(d), 120, "Jupyter's login page")
        time.sleep(0.5)  # let it paint before the screenshot
        shot("04-jupyter-login")
        print("reached Jupyter's login: title %r, url %s" % (d.title, d.current_url), flush=True)

        # 4. the terminal / docker logs: the acceptance and the one-click URL with the token
        logs = docker_logs(a.container)
        if "accepted" not in logs:
            fail("docker logs do not show the acceptance")
        m = re.search(r"https?://[^\s]+/\?token=([0-9A-Za-z]+)", logs)
        if not m:
            fail("docker logs show no URL with a token")
        token = m.group(1)

        # 5. the one-click URL (host part replaced by the mapped port) opens JupyterLab
        d.get(a.url + "?token=" + token)
        wait_for(lambda: in_jupyterlab(d), 90, "JupyterLab")
        if "/lab" not in d.current_url:
            fail("the token URL did not land in JupyterLab: %s" % d.current_url)
        time.sleep(1)
        shot("05-jupyterlab")
        print("logged in with the token from docker logs: %s, title %r" % (d.current_url, d.title),
              flush=True)

        # 6. open a notebook, type a cell, run it: Spark answers in the output
        d.get(a.url + "lab/tree/" + a.notebook)
        wait_for(lambda: visible(d, ".jp-NotebookPanel .jp-Cell .cm-content"), 90,
                 "the notebook's first cell")
        wait_for(lambda: "Idle" in d.find_element(By.CSS_SELECTOR, ".jp-StatusBar-Widget").text
                 or "Idle" in d.find_element(By.ID, "jp-main-statusbar").text, 120,
                 "the kernel to be idle (status bar)")
        editor = d.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell .cm-content")
        editor.click()
        editor.send_keys("spark.range(1000).count()")
        shot("06-notebook")
        editor.send_keys(Keys.SHIFT + Keys.ENTER)  # run the cell, as a user does
        wait_for(lambda: any(o.text.strip() == "1000" for o in d.find_elements(
            By.CSS_SELECTOR, ".jp-NotebookPanel .jp-OutputArea-output")), 240,
            "1000 in the cell's output")
        time.sleep(0.5)
        shot("07-cell-output")
        print("ran spark.range(1000).count() in JupyterLab: 1000", flush=True)
    finally:
        d.quit()


if __name__ == "__main__":
    main()
