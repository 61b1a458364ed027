#!/usr/bin/python3
"""Drives headless Chromium through the EULA flow of a running container (see run.sh).

Steps, each with a screenshot: the license page (desktop and phone widths), the page after
"Accept" (Jupyter is starting), Jupyter's own page reached without a manual reload, and the tree
after logging in with the token that `docker logs` shows. Every wait is bounded.
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


def on_jupyter_page(d):
    """Jupyter Notebook's login or tree page, judged by title and DOM, not by URL."""
    title = d.title or ""
    if "Jupyter" not in title and "Home Page" not in title:
        return False
    if d.execute_script("return document.readyState") != "complete":
        return False
    found = d.find_elements(By.CSS_SELECTOR, "#password_input, #notebook_list")
    return any(e.is_displayed() for e in found)


def docker_logs(container):
    r = subprocess.run(["docker", "logs", container], capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--profile", required=True)
    ap.add_argument("--container", required=True)
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
        wait_for(lambda: "Jupyter is starting" in d.title or on_jupyter_page(d), 30,
                 "the page after Accept")
        shot("03-accepted")

        # 3. the page takes the browser to Jupyter by itself once Jupyter answers
        wait_for(lambda: on_jupyter_page(d), 120, "Jupyter's page (login or tree)")
        time.sleep(0.5)  # let it paint before the screenshot
        shot("04-jupyter")
        print("reached Jupyter: title %r, url %s" % (d.title, d.current_url), flush=True)

        # 4. the terminal / docker logs: the acceptance and the one-click URL with the token
        logs = docker_logs(a.container)
        if "accepted" not in logs:
            fail("docker logs do not show the acceptance")
        m = re.search(r"https?://[^\s]+/\?token=([0-9A-Za-z]+)", logs)
        if not m:
            fail("docker logs show no URL with a token")
        token = m.group(1)

        # 5. the one-click URL (host part replaced by the mapped port) opens the tree
        d.get(a.url + "?token=" + token)
        wait_for(lambda: on_jupyter_page(d) and d.find_elements(By.ID, "notebook_list"), 60,
                 "the notebook tree")
        time.sleep(0.5)
        shot("05-tree")
        print("logged in with the token from docker logs: title %r" % d.title, flush=True)
    finally:
        d.quit()


if __name__ == "__main__":
    main()
