#!/usr/bin/env python3
"""Browser test of the review page: a real node with real conflicts, headless
Debian chromium driven by selenium; resolves them through the page and checks
through `accord conflicts --json` that they are closed. One conflict is in
English and is resolved while the node has no users; then the node gets an
office user with a Khmer display name, who signs in on the page to resolve the
other, where the Cambodian side wrote Khmer and the Thai side Thai
(fonts-khmeros and fonts-thai-tlwg make the screenshot show real glyphs, not
boxes).

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
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(accord, node_dir, *args, env=None):
    result = subprocess.run([accord, "--dir", node_dir, *args], capture_output=True, text=True,
                            env=None if env is None else {**os.environ, **env})
    if result.returncode != 0:
        raise SystemExit(f"accord {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


# The Poi Pet working group meeting of the sample, whose venue both sides change.
MEETING = "mtg-2023-02-10-poipet"
VENUE_BEFORE = "មជ្ឈមណ្ឌលស្នាក់នៅបណ្តោះអាសន្នប៉ោយប៉ែត"
VENUE_KH = "សាលាខេត្តបន្ទាយមានជ័យ"
VENUE_TH = "ศาลากลางจังหวัดสระแก้ว"
REVIEWER_KH = "ចាន់ សុភា"
REVIEWER_NAME = "sophea.chan"
REVIEWER_PASSWORD = "ពាក្យសម្ងាត់-2025"


def make_conflicts(accord, work):
    """Two capitals edit an activity and a meeting while apart; bundles carry the edits."""
    subprocess.run([accord, "cert", "ca", "--out", f"{work}/ca"], check=True, capture_output=True)
    kh, th = f"{work}/KH-NCCT", f"{work}/TH-MSDHS"
    for node, node_id in ((kh, "KH-NCCT"), (th, "TH-MSDHS")):
        run(accord, node, "init", "--node-id", node_id)
        run(accord, node, "cert", "node", "--ca-dir", f"{work}/ca")
    run(accord, kh, "load", f"{ROOT}/data/sample.json")
    run(accord, kh, "bundle", "create", "--for", "TH-MSDHS", "--out", f"{work}/plan.bundle",
        "--receiver-cert", f"{th}/tls/node.pem")
    run(accord, th, "bundle", "apply", f"{work}/plan.bundle")
    run(accord, kh, "put", "activity", "--id", "act-khth-2023-1.3", "timeframe=2024-Q2")
    run(accord, th, "put", "activity", "--id", "act-khth-2023-1.3", "timeframe=2024-Q3 (after the June meeting)")
    run(accord, kh, "put", "meeting", "--id", MEETING, f"venue={VENUE_KH}")
    run(accord, th, "put", "meeting", "--id", MEETING, f"venue={VENUE_TH}")
    run(accord, th, "bundle", "create", "--for", "KH-NCCT", "--out", f"{work}/edits.bundle",
        "--receiver-cert", f"{kh}/tls/node.pem")
    run(accord, kh, "bundle", "apply", f"{work}/edits.bundle")
    conflicts = json.loads(run(accord, kh, "conflicts", "--json"))
    assert len(conflicts) == 2, conflicts
    by_record = {c["record_id"]: c for c in conflicts}
    return kh, by_record["act-khth-2023-1.3"], by_record[MEETING]


def check_context_cut_between_words(accord, kh, card):
    """The record's other fields are shown cut short; a Khmer value must be cut
    between words, never between a consonant and its vowel sign or subscript."""
    from selenium.webdriver.common.by import By

    fields = json.loads(run(accord, kh, "get", MEETING, "--json"))["fields"]
    context = card.find_element(By.XPATH, "./ancestor::section").find_element(By.CLASS_NAME, "context").text
    shown = dict(part.split(": ", 1) for part in context.split(" · "))
    for name in ("chairs", "related_agreement"):
        full, snippet = fields[name], shown[name]
        assert snippet.endswith("…") and len(full) > 80, (name, snippet)
        kept = snippet[:-1]
        assert full.startswith(kept), (name, kept)
        assert unicodedata.category(full[len(kept)]) not in ("Mn", "Mc"), (name, kept)


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
        kh, conflict, venue_conflict = make_conflicts(accord, work)
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
        # Where the record may go: the offices a resolution will reach.
        sharing = card.find_element(By.XPATH, "./ancestor::section").find_element(By.CLASS_NAME, "sharing").text
        assert "May go to: KH, TH" in sharing and "TH-MSDHS" in sharing, sharing
        assert not browser.find_element(By.ID, "signin").is_displayed(), "no users: no sign-in"
        card.find_element(By.CSS_SELECTOR, "button.take[data-node='TH-MSDHS']").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "message"), "Resolved"))
        wait.until(EC.staleness_of(card))

        # The office adds its first user; from now on resolving needs a sign-in.
        run(accord, kh, "user", "add", REVIEWER_NAME, "--display", REVIEWER_KH,
            env={"ACCORD_NEW_PASSWORD": REVIEWER_PASSWORD})

        # The Khmer and Thai venues, as each side typed them, and the Khmer one before,
        # on a fresh page as the next reviewer opens it.
        browser.get(f"http://127.0.0.1:{ui_port}/")
        card = wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f"[data-conflict='{venue_conflict['id']}']")))
        page_text = card.text
        for expected in (VENUE_KH, VENUE_TH, f"Before: {VENUE_BEFORE}"):
            assert expected in page_text, (expected, page_text)
        assert "1 open conflict" in browser.find_element(By.TAG_NAME, "header").text
        check_context_cut_between_words(accord, kh, card)
        if screenshot:
            browser.save_screenshot(screenshot)
            print(f"screenshot saved to {screenshot}")
        wait.until(EC.visibility_of_element_located((By.ID, "signin")))
        browser.find_element(By.ID, "login-name").send_keys(REVIEWER_NAME)
        browser.find_element(By.ID, "login-password").send_keys(REVIEWER_PASSWORD)
        browser.find_element(By.ID, "login").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "who"), REVIEWER_KH))
        browser.find_element(By.CSS_SELECTOR, f"[data-conflict='{venue_conflict['id']}'] "
                             "button.take[data-node='TH-MSDHS']").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "list"), "No open conflicts"))

        remaining = json.loads(run(accord, kh, "conflicts", "--json"))
        assert remaining == [], remaining
        record = json.loads(run(accord, kh, "get", "act-khth-2023-1.3", "--json"))
        assert record["fields"]["timeframe"] == "2024-Q3 (after the June meeting)", record
        history = json.loads(run(accord, kh, "history", "act-khth-2023-1.3", "timeframe", "--json"))
        assert "review page" in history[-1].get("note", ""), history[-1]
        assert "author" not in history[-1], history[-1]
        meeting = json.loads(run(accord, kh, "get", MEETING, "--json"))
        assert meeting["fields"]["venue"] == VENUE_TH, meeting
        history = json.loads(run(accord, kh, "history", MEETING, "venue", "--json"))
        assert history[-1].get("author") == REVIEWER_NAME, history[-1]
        assert REVIEWER_NAME in history[-1].get("note", ""), history[-1]
        assert VENUE_KH in history[-1].get("note", ""), history[-1]
        print("review page test: 2 passed, 0 failed")
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
