#!/usr/bin/env python3
"""Browser test of the review page: a real node with a real conflict, headless
Debian chromium driven by selenium; resolves the conflict through the page and
checks through `accord conflicts --json` that it is closed.

Usage: review_page_test.py ACCORD_BINARY [--screenshot PATH]
Everything runs on 127.0.0.1; nothing reaches the internet.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(accord, node_dir, *args):
    result = subprocess.run([accord, "--dir", node_dir, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"accord {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def make_conflict(accord, work):
    """Two capitals edit the same activity while apart; bundles carry the edits."""
    subprocess.run([accord, "cert", "ca", "--out", f"{work}/ca"], check=True, capture_output=True)
    kh, th = f"{work}/KH-NCCT", f"{work}/TH-MSDHS"
    for node, node_id in ((kh, "KH-NCCT"), (th, "TH-MSDHS")):
        run(accord, node, "init", "--node-id", node_id)
        run(accord, node, "cert", "node", "--ca-dir", f"{work}/ca")
    run(accord, kh, "load", f"{ROOT}/data/sample.json")
    run(accord, kh, "bundle", "create", "--for", "TH-MSDHS", "--out", f"{work}/plan.bundle")
    run(accord, th, "bundle", "apply", f"{work}/plan.bundle")
    run(accord, kh, "put", "activity", "--id", "act-khth-2023-1.3", "timeframe=2024-Q2")
    run(accord, th, "put", "activity", "--id", "act-khth-2023-1.3", "timeframe=2024-Q3 (after the June meeting)")
    run(accord, th, "bundle", "create", "--for", "KH-NCCT", "--out", f"{work}/edits.bundle")
    run(accord, kh, "bundle", "apply", f"{work}/edits.bundle")
    conflicts = json.loads(run(accord, kh, "conflicts", "--json"))
    assert len(conflicts) == 1, conflicts
    return kh, conflicts[0]


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='accord-chromium-')}")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main():
    accord = os.path.abspath(sys.argv[1])
    screenshot = sys.argv[sys.argv.index("--screenshot") + 1] if "--screenshot" in sys.argv else None
    work = tempfile.mkdtemp(prefix="accord-review-")
    server = None
    browser = None
    try:
        kh, conflict = make_conflict(accord, work)
        sync_port, ui_port = free_port(), free_port()
        server = subprocess.Popen([accord, "--dir", kh, "serve", "--listen", f"127.0.0.1:{sync_port}",
                                   "--ui-listen", f"127.0.0.1:{ui_port}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", ui_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import WebDriverWait

        browser = start_browser()
        browser.get(f"http://127.0.0.1:{ui_port}/")
        wait = WebDriverWait(browser, 20)
        card = wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f"[data-conflict='{conflict['id']}']")))
        page_text = card.text
        assert "2024-Q2" in page_text and "2024-Q3" in page_text, page_text
        assert "KH-NCCT" in page_text and "TH-MSDHS" in page_text, page_text
        assert "Before: 2024-2025" in page_text, page_text
        if screenshot:
            browser.save_screenshot(screenshot)
            print(f"screenshot saved to {screenshot}")
        browser.find_element(By.ID, "by").send_keys("Secretariat reviewer")
        card.find_element(By.CSS_SELECTOR, "button.take[data-node='TH-MSDHS']").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "message"), "Resolved"))
        wait.until(EC.text_to_be_present_in_element((By.ID, "list"), "No open conflicts"))

        remaining = json.loads(run(accord, kh, "conflicts", "--json"))
        assert remaining == [], remaining
        record = json.loads(run(accord, kh, "get", "act-khth-2023-1.3", "--json"))
        assert record["fields"]["timeframe"] == "2024-Q3 (after the June meeting)", record
        history = json.loads(run(accord, kh, "history", "act-khth-2023-1.3", "timeframe", "--json"))
        assert "Secretariat reviewer" in history[-1].get("note", ""), history[-1]
        print("review page test: 1 passed, 0 failed")
    finally:
        if browser:
            browser.quit()
        if server:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
