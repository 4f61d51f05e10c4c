#!/usr/bin/env python3
"""Browser test of the office's page: a real node with real conflicts and the
sample data, headless Debian chromium driven by selenium, one browser for
every part of the page.

Conflicts: resolved through the page, checked closed with `accord conflicts
--json`. One conflict is in English and is resolved while the node has no
users; then the node gets an office user with a Khmer display name, who signs
in on the page to resolve the other, where the Cambodian side wrote Khmer and
the Thai side Thai.
Then the secretariat prepares the next meeting on the same page: the open
action items (overdue ones marked) against `accord report actions --json`,
the plan's chart per objective and party against `accord report plan
--json`, a Thai and a Khmer word found inside sentences against `accord
search --json`, and a record with its history and users against `accord
history --json`, amended since it was signed, and a meeting's signed minutes
(attached PDF) listed as `accord attachments --json` lists them and downloaded
byte for byte. A value holding <script> shows as text and never runs.
fonts-khmeros, fonts-thai-tlwg and fonts-noto-cjk make the screenshots show
real glyphs, not boxes.

Usage: review_page_test.py ACCORD_BINARY [--screenshots DIR]
  DIR gets review-page.png, office-actions.png, office-plan.png,
  office-search-km.png, office-search-th.png and office-record.png
  (docs/ holds them).
Everything runs on 127.0.0.1; nothing reaches the internet.
"""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request

# How often a wait looks again: Selenium's default, half a second, added up to
# seconds of this test's run.
POLL = 0.05
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
SIGNATORY = "លោក សុខ វណ្ណា"


def make_conflicts(accord, work):
    """Two capitals edit an activity and a meeting while apart; bundles carry the edits."""
    subprocess.run([accord, "cert", "ca", "--out", f"{work}/ca"], check=True, capture_output=True)
    kh, th = f"{work}/KH-NCCT", f"{work}/TH-MSDHS"
    for node, node_id in ((kh, "KH-NCCT"), (th, "TH-MSDHS")):
        run(accord, node, "init", "--node-id", node_id)
        run(accord, node, "cert", "node", "--ca-dir", f"{work}/ca")
    run(accord, kh, "load", f"{ROOT}/data/sample.json")
    # The Poi Pet minutes were signed before the venue was changed on both sides.
    run(accord, kh, "sign", MEETING, "--signatory", SIGNATORY, "--on", "2023-02-10")
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
    context = card.find_element(By.XPATH, "./ancestor::section[1]").find_element(By.CLASS_NAME, "context").text
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



PLAN = "plan-khth-2023"
# An action item whose words hold markup: the page must show it as text.
XSS_ITEM = "ai-2023-03-15-x"
XSS_ACTION = ('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
              " ส่งรายชื่อผู้ประสานงาน")
THAI_WORD = "ค้ามนุษย์"  # trafficking in persons, inside Thai sentences
KHMER_WORD = "ជួញដូរ"  # trafficking, inside Khmer sentences
ACTIONS_AS_OF = "2023-06-14"  # the day of the Poi Pet meeting that reviews them


def add_item_with_markup(accord, kh):
    """An item agreed at the Sa Kaeo meeting, with markup in its words, due before the June meeting,
    written by the signed-in reviewer while the page is open."""
    run(accord, kh, "put", "action_item", "--id", XSS_ITEM, "meeting=mtg-2023-03-15-sakaeo", "number=9",
        f"action={XSS_ACTION}", "responsible_party=ภาคีไทย", "due=ภายในวันที่ 31 พฤษภาคม 2566",
        "due_date=2023-05-31", "status=open",
        env={"ACCORD_USER": REVIEWER_NAME, "ACCORD_PASSWORD": REVIEWER_PASSWORD})


def serve(accord, kh):
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
    return server, ui_port


def shoot(browser, shots, name, whole=False):
    """A screenshot of the window, or of the whole page (the window stretched to it)."""
    if not shots:
        return
    if whole:
        browser.set_window_size(1280, browser.execute_script("return document.documentElement.scrollHeight + 160"))
    path = os.path.join(shots, name)
    browser.save_screenshot(path)
    print(f"screenshot saved to {path}")
    if whole:
        browser.set_window_size(1280, 1000)


def check_conflicts(accord, kh, browser, base, conflict, venue_conflict, shots):
    """Both conflicts resolved through the page, the second by a signed-in user."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base)
    wait = WebDriverWait(browser, 20, poll_frequency=POLL)
    card = wait.until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"[data-conflict='{conflict['id']}']")))
    page_text = card.text
    assert "2024-Q2" in page_text and "2024-Q3" in page_text, page_text
    assert "KH-NCCT" in page_text and "TH-MSDHS" in page_text, page_text
    assert "Before: 2024-2025" in page_text, page_text
    # Where the record may go: the offices a resolution will reach.
    sharing = card.find_element(By.XPATH, "./ancestor::section[1]").find_element(By.CLASS_NAME, "sharing").text
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
    browser.get(base)
    card = wait.until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"[data-conflict='{venue_conflict['id']}']")))
    page_text = card.text
    for expected in (VENUE_KH, VENUE_TH, f"Before: {VENUE_BEFORE}"):
        assert expected in page_text, (expected, page_text)
    assert "1 of 1 open conflict" in browser.find_element(By.ID, "range").text
    assert browser.find_element(By.ID, "count").text == "1"
    check_context_cut_between_words(accord, kh, card)
    shoot(browser, shots, "review-page.png")
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


def open_view(browser, base, fragment, ready_css):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    # A fresh load: nothing from the view before can satisfy the wait.
    browser.get("about:blank")
    browser.get(f"{base}#{fragment}")
    return WebDriverWait(browser, 20, poll_frequency=POLL).until(EC.presence_of_element_located((By.CSS_SELECTOR, ready_css)))


def check_actions(accord, kh, browser, base, shots):
    """The open items as of the June meeting, as `accord report actions --open` lists them, overdue ones marked."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    def show_as_of(day):
        open_view(browser, base, "actions", "tr[data-action]")
        assert browser.find_element(By.ID, "actions-today").get_attribute("value"), "today by default"
        browser.execute_script("const d = document.getElementById('actions-today'); d.value = arguments[0];"
                               "d.dispatchEvent(new Event('change'));", day)
        WebDriverWait(browser, 20, poll_frequency=POLL).until(EC.text_to_be_present_in_element((By.ID, "actions-summary"), "as of " + day))

    today = ACTIONS_AS_OF
    show_as_of(today)
    shoot(browser, shots, "office-actions.png", whole=True)
    add_item_with_markup(accord, kh)
    show_as_of(today)
    cli = json.loads(run(accord, kh, "report", "actions", "--open", "--today", today, "--json"))
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-action]")
    assert [r.get_attribute("data-action") for r in rows] == [a["id"] for a in cli["action_items"]]
    overdue = [a["id"] for a in cli["action_items"] if a["overdue"]]
    assert XSS_ITEM in overdue and len(overdue) < len(cli["action_items"]), overdue
    marked = [r.get_attribute("data-action") for r in rows if "overdue" in r.get_attribute("class").split()]
    assert marked == overdue, (marked, overdue)
    by_id = {a["id"]: a for a in cli["action_items"]}
    for row in rows:
        a = by_id[row.get_attribute("data-action")]
        cells = row.find_elements(By.TAG_NAME, "td")
        assert (a["due"]["text"] or "—") in cells[3].text, (a["id"], cells[3].text)
        assert (a["due"]["date"] or "—") in cells[4].text, (a["id"], cells[4].text)
        assert ("OVERDUE" in cells[4].text) == a["overdue"], a["id"]
        assert cells[5].text == (a["status"] or "(none)"), (a["id"], cells[5].text)
        reviewed = a["last_reviewed"]
        assert (reviewed["meeting_label"] if reviewed else "not yet reviewed") in cells[6].text, a["id"]
    summary = browser.find_element(By.ID, "actions-summary").text
    assert f"{len(rows)} action items, {len(overdue)} overdue as of {today}" == summary, summary
    # Markup in a value is text: shown as typed, never run.
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-action='{XSS_ITEM}']")
    assert "<script>window.__pwned = 1</script>" in row.text, row.text
    assert browser.execute_script("return window.__pwned === undefined"), "a value's markup ran"
    assert not browser.find_elements(By.CSS_SELECTOR, "#actions-list img, #actions-list script")
    # Filters as the CLI's: Thailand's overdue items of the Sa Kaeo meeting.
    def shown_items(b):  # read in one call: the list may be redrawn meanwhile
        return b.execute_script("return [...document.querySelectorAll('tr[data-action]')].map(r => r.dataset.action)")

    browser.find_element(By.ID, "actions-overdue").click()
    WebDriverWait(browser, 20, poll_frequency=POLL).until(lambda b: shown_items(b) == overdue)
    Select(browser.find_element(By.ID, "actions-meeting")).select_by_value("mtg-2023-03-15-sakaeo")
    party = browser.find_element(By.ID, "actions-party")
    party.send_keys("TH")
    party.send_keys(Keys.TAB)
    expected = json.loads(run(accord, kh, "report", "actions", "--open", "--overdue", "--party", "TH",
                              "--meeting", "mtg-2023-03-15-sakaeo", "--today", today, "--json"))["action_items"]
    assert expected and len(expected) < len(overdue), expected
    wanted = [a["id"] for a in expected]
    WebDriverWait(browser, 20, poll_frequency=POLL).until(lambda b: shown_items(b) == wanted)
    # The item reviewed at a later meeting names that meeting and its minute.
    reviewed = [a for a in cli["action_items"] if a["last_reviewed"]]
    assert reviewed, "the sample follows items up"
    return reviewed[0]


def check_plan(accord, kh, browser, base, shots):
    """Each objective's chart: per party, the activities whose latest assessment has each status."""
    from selenium.webdriver.common.by import By

    open_view(browser, base, f"plan={PLAN}", "svg[data-objective] rect.seg")
    report = json.loads(run(accord, kh, "report", "plan", PLAN, "--json"))
    parties = report["assessing_parties"]
    assert parties == ["KH", "TH"], parties
    for objective in report["objectives"]:
        chart = browser.find_element(By.CSS_SELECTOR, f"svg[data-objective='{objective['id']}']")
        for party in parties:
            expected = {}
            for activity in objective["activities"]:
                latest = [a for a in activity["assessments"] if a["party"] == party]
                status = latest[0]["status"] if latest else "none"
                expected[status] = expected.get(status, 0) + 1
            bars = chart.find_elements(By.CSS_SELECTOR, f"rect.seg[data-party='{party}']")
            drawn = {b.get_attribute("data-status"): int(b.get_attribute("data-count")) for b in bars}
            assert drawn == expected, (objective["number"], party, drawn, expected)
            widths = {b.get_attribute("data-status"): float(b.get_attribute("width")) for b in bars}
            unit = 520 / len(objective["activities"])
            for status, count in expected.items():
                assert abs(widths[status] - count * unit) < 0.01, (objective["number"], party, status)
    # Objective 1: Cambodia finished the guideline (1.1), Thailand postponed the form (1.2).
    first = browser.find_element(By.CSS_SELECTOR, "svg[data-objective='obj-khth-2023-1']")
    assert first.find_element(By.CSS_SELECTOR, "rect[data-party='KH'][data-status='completed']").get_attribute("data-count") == "1"
    assert first.find_element(By.CSS_SELECTOR, "rect[data-party='TH'][data-status='postponed']").get_attribute("data-count") == "1"
    # Each party's own words beside the activity, in its own language.
    cell = browser.find_element(By.CSS_SELECTOR, "tr[data-activity='act-khth-2023-3.3'] td[data-party='TH']")
    assert "completed" in cell.text and "2023" in cell.text, cell.text
    assert cell.find_element(By.CSS_SELECTOR, "[lang='th']").text.startswith("จัดการประชุม"), cell.text
    shoot(browser, shots, "office-plan.png")


def check_search(accord, kh, browser, base, shots):
    """A Thai and a Khmer word found inside sentences, ranked as `accord search` ranks them; a hit opens its record."""
    from urllib.parse import quote
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    opened = None
    for word in (KHMER_WORD, THAI_WORD):
        open_view(browser, base, "search=" + quote(word), "#search-hits li")
        cli = json.loads(run(accord, kh, "search", word, "--limit", "50", "--json"))
        hits = browser.find_elements(By.CSS_SELECTOR, "#search-hits li")
        assert [(h.get_attribute("data-record"), h.get_attribute("data-field")) for h in hits] == \
            [(c["record_id"], c["field"]) for c in cli["hits"]], word
        # Found with letters of its own script on both sides: no space marks a Thai or Khmer word.
        inside = []
        for li in hits:
            snippet = li.find_element(By.CLASS_NAME, "snippet")
            mark = snippet.find_element(By.TAG_NAME, "mark")
            assert mark.text == word, mark.text
            before, after = browser.execute_script(
                "const m = arguments[0]; return [m.previousSibling?.textContent || '', m.nextSibling?.textContent || ''];", mark)
            if before and after and unicodedata.category(before[-1])[0] in "LM" and unicodedata.category(after[0])[0] in "LM":
                inside.append(li)
            assert snippet.get_attribute("lang") == ("km" if word == KHMER_WORD else "th"), snippet.get_attribute("lang")
        assert inside, f"{word} found inside a sentence"
        opened = cli["hits"][0]
        shoot(browser, shots, "office-search-km.png" if word == KHMER_WORD else "office-search-th.png")
    # A click on a hit opens the record.
    browser.find_element(By.CSS_SELECTOR, f"#search-hits li a[data-record='{opened['record_id']}']").click()
    WebDriverWait(browser, 20, poll_frequency=POLL).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"#record[data-record='{opened['record_id']}']")))
    record = json.loads(run(accord, kh, "get", opened["record_id"], "--json"))
    shown = browser.find_element(By.CSS_SELECTOR, f"#record tr[data-field='{opened['field']}']").text
    assert record["fields"][opened["field"]].split("\n")[0] in shown, shown


def check_record(accord, kh, browser, base, reviewed_item, shots):
    """The meeting: its values and who wrote them, its history with the users, amended since signed."""
    from selenium.webdriver.common.by import By

    open_view(browser, base, "record=" + MEETING, "table.history")
    history = json.loads(run(accord, kh, "history", MEETING, "--json"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.history tbody tr")
    assert len(rows) == len(history), (len(rows), len(history))
    venue_rows = browser.find_elements(By.CSS_SELECTOR, "table.history tr[data-field='venue']")
    newest = venue_rows[0].text
    assert f"{REVIEWER_NAME}@KH-NCCT" in newest and VENUE_TH in newest and "current" in newest, newest
    writers = {r.find_element(By.CLASS_NAME, "history-by").text for r in venue_rows}
    assert {"KH-NCCT", "TH-MSDHS", f"{REVIEWER_NAME}@KH-NCCT"} <= writers, writers
    venue = browser.find_element(By.CSS_SELECTOR, "table.fields tr[data-field='venue']").text
    assert VENUE_TH in venue and f"{REVIEWER_NAME}@KH-NCCT" in venue, venue
    # Signed on 2023-02-10, then the venue changed: amended, as `accord signatures` says.
    signatures = run(accord, kh, "signatures", MEETING)
    assert "AMENDED" in signatures.upper(), signatures
    signed = browser.find_element(By.CSS_SELECTOR, ".signed.amended[data-signature]").text
    assert SIGNATORY in signed and "AMENDED since signing" in signed, signed
    assert browser.find_element(By.ID, "record-amended").is_displayed()
    shoot(browser, shots, "office-record.png", whole=True)  # values, signatures, links, history
    # An item followed up later: the minute or decision that reviewed it links back.
    open_view(browser, base, "record=" + reviewed_item["id"], "#record-referred-by li")
    links = [li.get_attribute("data-from") for li in browser.find_elements(By.CSS_SELECTOR, "#record-referred-by li")]
    assert reviewed_item["last_reviewed"]["record"] in links, links
    # A meeting with its signed minutes attached: listed as `accord attachments` lists them,
    # and the link downloads the very bytes of the file (same SHA-256).
    minutes_meeting = "mtg-2023-01-18-siemreap"
    open_view(browser, base, "record=" + minutes_meeting, "#record-attachments li")
    held = json.loads(run(accord, kh, "attachments", minutes_meeting, "--json"))
    items = browser.find_elements(By.CSS_SELECTOR, "#record-attachments li")
    assert len(items) == len(held) == 1, (len(items), held)
    shown = items[0].text
    assert held[0]["file_name"] in shown and held[0]["caption"] in shown, shown
    href = items[0].find_element(By.TAG_NAME, "a").get_attribute("href")
    assert href.startswith(base + "api/attachments/"), href
    with urllib.request.urlopen(href) as response:
        assert hashlib.sha256(response.read()).hexdigest() == held[0]["sha256"], href
        assert response.headers["Content-Disposition"].startswith("attachment;"), response.headers
    # A record that does not exist is said so, not shown empty.
    open_view(browser, base, "record=act-nowhere", "#record-error")


def main():
    accord = os.path.abspath(sys.argv[1])
    shots = sys.argv[sys.argv.index("--screenshots") + 1] if "--screenshots" in sys.argv else None
    work = tempfile.mkdtemp(prefix="accord-review-")
    server = None
    browser = None
    try:
        kh, conflict, venue_conflict = make_conflicts(accord, work)
        server, ui_port = serve(accord, kh)
        base = f"http://127.0.0.1:{ui_port}/"
        browser = start_browser()
        check_conflicts(accord, kh, browser, base, conflict, venue_conflict, shots)
        reviewed = check_actions(accord, kh, browser, base, shots)
        check_plan(accord, kh, browser, base, shots)
        check_search(accord, kh, browser, base, shots)
        check_record(accord, kh, browser, base, reviewed, shots)
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"
                  and "favicon" not in e["message"] and "act-nowhere" not in e["message"]]
        assert not errors, errors
        print("office page test: conflicts, actions, plan, search, record passed")
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
