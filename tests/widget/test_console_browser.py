"""The staff console in a real browser (Debian's chromium driven by Playwright) against the real app.

Only the app is started (the console needs no Rasa). Accounts are made with the account CLI an
administrator uses (`python -m bot.staff create-user --password-stdin`), and the event log is
filled through the analytics code itself: simulated background traffic (bot.analytics.simulate)
plus a few known unresolved turns written through EventLog, the same path the chat uses.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from tests.api.staff_helpers import PASSWORD
from tests.conftest import running_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SIMULATED = 400
# (text, decision, reason, municipality): the known unresolved questions the inbox must sort out
KNOWN = {
    "kuhmo-no-match-1": ("voiko kuhmossa lainata apuvälineitä viikonloppuna", "fallback", "no_match", "Kuhmo"),
    "kuhmo-no-match-2": ("kuhmon terveysaseman pihalla ei ole latauspistettä", "fallback", "no_match", "Kuhmo"),
    "kuhmo-low-confidence": ("kuhmossa hammaslääkärin jonotusaika kuinka pitkä", "fallback", "low_confidence", "Kuhmo"),
    "sotkamo-no-match": ("sotkamon uimahallin vesijumppa ikäihmisille", "fallback", "no_match", "Sotkamo"),
    "kuhmo-human": ("haluan puhua kuhmolaisen neuvojan kanssa", "handoff", "human_requested", "Kuhmo"),
}
MATCHING = {"kuhmo-no-match-1", "kuhmo-no-match-2"}  # reason no_match and municipality Kuhmo


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, None, only="app")


def create_user(running, username: str, role: str) -> None:
    """The administrator's CLI, on the stack's database (DATA_DIR), password from standard input."""
    env = dict(os.environ, DATA_DIR=str(running.settings.data_dir), PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run([sys.executable, "-m", "bot.staff", "create-user", username, "--role", role,
                           "--password-stdin"], input=PASSWORD + "\n", env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def seeded(stack):
    """Accounts, simulated traffic and the KNOWN turns; returns the engine for reading the expected answers."""
    from bot.analytics.simulate import simulate
    from bot.analytics.store import EventLog, TurnEvent
    from bot.db import database_url, make_engine

    running, _url = stack
    create_user(running, "anna", "advisor")
    create_user(running, "eero", "editor")
    engine = make_engine(database_url(running.settings))
    now = time.time()
    simulate(engine, SIMULATED, days=20, seed=5, end_ts=now - 3 * 3600)  # the KNOWN turns are the newest
    log = EventLog(engine)
    for rank, (text, decision, reason, municipality) in enumerate(KNOWN.values()):
        log.record(TurnEvent(conversation=f"browser-test-{rank}", decision=decision, reason=reason,
                             municipality=municipality, lang="fi", intent="service_question",
                             intent_confidence=0.5, text_redacted=text, ts=now - 600 * (rank + 1)))
    assert log.flush(10)
    log.close()
    return engine


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    yield context
    context.close()


def sign_in(page, base_url: str, username: str = "anna", password: str = PASSWORD, path: str = "/staff/login"):
    response = page.goto(base_url + path)
    page.get_by_label("Käyttäjätunnus").fill(username)
    page.get_by_label("Salasana").fill(password)
    page.get_by_role("button", name="Kirjaudu").click()
    return response


def test_pages_need_a_signed_in_user_with_the_right_role(context, stack, seeded):
    _running, base = stack
    page = context.new_page()
    response = page.goto(base + "/staff/inbox")
    assert response.status == 401
    page.get_by_role("heading", name="Kirjaudu henkilöstön näkymään").wait_for()
    assert "Ratkaisemattomat kysymykset" not in page.content()  # no resident question leaks before sign-in
    assert page.locator("input[name=next]").get_attribute("value") == "/staff/inbox"

    # signing in on that form goes on to the page that was asked for
    page.get_by_label("Käyttäjätunnus").fill("anna")
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu").click()
    page.get_by_role("heading", name="Ratkaisemattomat kysymykset").wait_for()
    assert page.url == base + "/staff/inbox"

    # an editor is signed in but may not read residents' questions
    editor = context.browser.new_context()
    other = editor.new_page()
    sign_in(other, base, "eero")
    other.wait_for_url(base + "/staff/")
    forbidden = other.goto(base + "/staff/inbox")
    assert forbidden.status == 403
    other.get_by_role("heading", name="Ei käyttöoikeutta").wait_for()
    assert other.locator(".inbox-item").count() == 0
    editor.close()


def test_wrong_password_stays_on_login_and_right_one_reaches_the_overview(context, stack, seeded):
    _running, base = stack
    page = context.new_page()
    with page.expect_response(lambda r: r.url.endswith("/staff/login") and r.request.method == "POST") as answer:
        sign_in(page, base, "anna", "väärä-salasana-123")
    assert answer.value.status == 401
    assert page.get_by_role("alert").inner_text() == "Väärä käyttäjätunnus tai salasana."
    assert page.url == base + "/staff/login"
    assert page.get_by_label("Käyttäjätunnus").input_value() == "anna"  # kept; the password is not
    assert page.get_by_label("Salasana").input_value() == ""
    assert "kainuu_staff" not in {cookie["name"] for cookie in page.context.cookies(base + "/staff/")}

    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_url(base + "/staff/")
    page.get_by_role("heading", name="Yleiskuva: mitä botti ei ratkaissut").wait_for()
    assert page.locator("svg").count() >= 3  # the overview's charts are there
    assert page.get_by_role("link", name="Yleiskuva").get_attribute("aria-current") == "page"


def test_login_form_works_with_the_keyboard_only(context, stack, seeded):
    _running, base = stack
    page = context.new_page()
    page.goto(base + "/staff/login")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("anna")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/staff/")
    page.get_by_role("heading", name="Yleiskuva: mitä botti ei ratkaissut").wait_for()


def inbox_rows(page) -> dict[int, dict]:
    """The inbox items on the page: event id → text and the meta line."""
    rows = {}
    for item in page.locator(".inbox-item").all():
        event_id = int(item.get_attribute("id").removeprefix("event-"))
        rows[event_id] = {"text": item.locator(".inbox-text").inner_text().strip("”"),
                          "meta": item.locator("p.muted").first.inner_text()}
    return rows


def link_to_intent(page, event_id: int, doc_id: str, intent: str) -> None:
    item = page.locator(f"#event-{event_id}")
    item.get_by_label("Oikea dokumentti").fill(doc_id)
    item.get_by_label("NLU-aie").select_option(intent)
    item.get_by_role("button", name="Tallenna").click()
    page.locator(f"#event-{event_id}").get_by_text("merkinnyt anna").wait_for()


def test_inbox_filter_and_its_exports_show_only_the_matching_questions(context, stack, seeded):
    from bot.analytics import queries
    from bot.analytics.vocabulary import REASONS

    _running, base = stack
    page = context.new_page()
    sign_in(page, base, path="/staff/login?next=/staff/inbox")
    page.get_by_role("heading", name="Ratkaisemattomat kysymykset").wait_for()
    unfiltered = inbox_rows(page)
    by_text = {row["text"]: event_id for event_id, row in unfiltered.items()}
    ids = {key: by_text[text] for key, (text, *_rest) in KNOWN.items()}  # the newest: all on the first page
    # a staff member links a question the filter will leave out: it must not reach the filtered exports
    link_to_intent(page, ids["kuhmo-low-confidence"], "hammashoito", "service_question")

    filters = page.get_by_role("form", name="Rajaukset")
    filters.get_by_label("Syy").select_option("no_match")
    filters.get_by_label("Kunta").select_option("Kuhmo")
    filters.get_by_role("button", name="Näytä").click()
    page.wait_for_url("**/staff/inbox?*reason=no_match*")
    assert "municipality=Kuhmo" in page.url

    expected, total = queries.unresolved(seeded, queries.Filters(reason="no_match", municipality="Kuhmo"), 1000)
    shown = inbox_rows(page)
    assert set(shown) == {row["id"] for row in expected} and total < 50, (shown, expected)
    assert {ids[key] for key in MATCHING} <= set(shown)
    assert not {ids[key] for key in set(KNOWN) - MATCHING} & set(shown)
    for row in shown.values():
        assert REASONS["no_match"] in row["meta"] and " · Kuhmo · " in row["meta"], row
    assert page.get_by_text(f"{total} kysymystä.").is_visible()

    link_to_intent(page, ids["kuhmo-no-match-1"], "apuvalineet", "service_question")
    assert "reason=no_match" in page.url  # the annotation keeps the filter

    with page.expect_download() as download:
        page.get_by_role("link", name="sisältöaukot toimittajille (CSV)").click()
    assert download.value.suggested_filename == "knowledge-gaps.csv"
    gaps = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert gaps[0] == ["doc_id", "topic", "count", "examples", "event_ids"]
    listed = {int(i) for row in gaps[1:] for i in row[4].split()}
    assert listed == set(shown)  # exactly the filtered no-match questions
    linked = [row for row in gaps[1:] if row[0] == "apuvalineet"]
    assert linked and linked[0][4] == str(ids["kuhmo-no-match-1"]) and KNOWN["kuhmo-no-match-1"][0] in linked[0][3]

    with page.expect_download() as download:
        page.get_by_role("link", name="NLU-opetusesimerkit (YAML)").click()
    assert download.value.suggested_filename == "nlu-examples.yml"
    nlu = yaml.safe_load(open(download.value.path(), encoding="utf-8").read())
    assert nlu["version"] == "3.1"
    assert nlu["nlu"] == [{"intent": "service_question", "examples": f"- {KNOWN['kuhmo-no-match-1'][0]}\n"}]


def test_events_csv_download_has_the_documented_columns_and_the_seeded_rows(context, stack, seeded):
    from bot.analytics.export import COLUMN_NAMES
    from bot.analytics.vocabulary import REASONS

    _running, base = stack
    page = context.new_page()
    sign_in(page, base, path="/staff/login?next=/staff/reports")
    page.get_by_role("heading", name="Raportit ja tiedostot").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Lataa CSV").click()
    assert download.value.suggested_filename == "events.csv"
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Power BI and Excel read the encoding right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0].keys()) == COLUMN_NAMES
    assert len(rows) == SIMULATED + len(KNOWN)  # every turn of the default 30-day period, one row each
    by_text = {row["text_redacted"]: row for row in rows if row["text_redacted"]}
    for text, decision, reason, municipality in KNOWN.values():
        row = by_text[text]
        assert (row["decision"], row["reason_logged"], row["municipality"], row["unresolved"]) == (
            decision, reason, municipality, "true"), row
    assert by_text[KNOWN["kuhmo-no-match-2"][0]]["reason_label"] == REASONS["no_match"]
