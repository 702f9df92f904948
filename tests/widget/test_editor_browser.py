"""An editor changes a document in the staff console and the bot's answer changes, nothing restarted.

Real stack (Rasa + app) on temporary copies of the knowledge base and the index, driven through
Debian's chromium with Playwright: the editor signs in, tests a resident's question, adds the
words residents use to a document, saves, waits for the background re-index, and a resident
asking the widget the same question now gets that document's (changed) card.
"""

from __future__ import annotations

import shutil
import time

import pytest

from bot.settings import PROJECT_ROOT
from tests.api.staff_helpers import PASSWORD
from tests.conftest import running_stack
from tests.widget.test_widget_browser import ask, open_widget

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTION = "Onko saunapalvelua vanhuksille?"
DOC = "ateriapalvelu"
NEW_SENTENCE = "Ateriapalvelun lisäksi voit kysyä saunapalvelusta."


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """KNOWLEDGE_DIR and INDEX_DIR copies; the current build is copied so a save re-embeds one document."""
    root = tmp_path_factory.mktemp("editor-kb")
    shutil.copytree(PROJECT_ROOT / "knowledge", root / "knowledge")
    real = PROJECT_ROOT / "build" / "index"
    build = (real / "current").read_text(encoding="utf-8").strip()
    shutil.copytree(real / build, root / "index" / build)
    (root / "index" / "current").write_text(build, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def stack(tmp_path_factory, copies):
    yield from running_stack(tmp_path_factory, None, {"KNOWLEDGE_DIR": str(copies / "knowledge"),
                                                      "INDEX_DIR": str(copies / "index")})


@pytest.fixture(scope="module")
def base_url(stack):
    from bot.db import database_url, make_engine
    from bot.staff.accounts import Accounts

    running, url = stack
    Accounts(make_engine(database_url(running.settings))).create_user("eero", PASSWORD, "editor", "Eero Editori")
    return url


def widget_answer(browser, base_url: str) -> str:
    """A new resident asks the question in the widget; the text of the bot's reply."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base_url + "/")
    open_widget(page)
    ask(page, QUESTION)
    page.wait_for_timeout(300)
    reply = page.locator(".kpo-log > *").nth(-2).inner_text() + "\n" + page.locator(".kpo-log > *").last.inner_text()
    cards = page.locator(".kpo-card")
    card = cards.last.inner_text() if cards.count() else ""
    context.close()
    return card or reply


def test_an_edit_changes_the_bots_answer_without_a_restart(browser, base_url, copies):
    from playwright.sync_api import expect

    before = widget_answer(browser, base_url)
    assert NEW_SENTENCE not in before

    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(base_url + f"/staff/login?next=/staff/kb/doc/{DOC}")
    page.get_by_label("Käyttäjätunnus").fill("eero")
    page.get_by_label("Salasana").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/kb/doc/{DOC}")

    # "test this question" before the change: the document is not the answer
    page.get_by_label("Asukkaan kysymys").fill(QUESTION)
    page.get_by_role("button", name="Testaa", exact=True).click()
    page.wait_for_selector("#kb-test-result .kb-test-run")
    first = page.locator("#kb-test-result [data-decision]").last
    assert not (first.get_attribute("data-decision") == "answer"
                and page.locator("#kb-test-result tbody tr").first.get_attribute("data-doc") == DOC)

    # the live preview follows the summary as it is typed
    summary = page.locator("#f-summary")  # labelled "Tiivistelmä *"
    summary.press("Control+End")
    summary.type(" " + NEW_SENTENCE)
    expect(page.locator("#kb-card-preview")).to_contain_text(NEW_SENTENCE)  # no eval: the console's CSP forbids it
    keywords = page.locator("#f-keywords")
    keywords.press("Control+End")
    keywords.type(", saunapalvelu, saunotusapu, saunotus kotona")
    # the knowledge-gap workflow: the resident's own question goes under the document that answers it
    questions = page.get_by_label("Asukkaiden kysymyksiä")
    questions.press("Control+End")
    questions.type("\n" + QUESTION)
    started = time.perf_counter()
    page.get_by_role("button", name="Tallenna").click()
    page.wait_for_selector("text=Tallennettu.")
    page.wait_for_selector('#kb-reindex[data-state="done"]', timeout=120000)
    print(f"\nsave → new index served (seen in the browser): {time.perf_counter() - started:.1f} s")

    # the stored question is tested again on the new index: before and after side by side
    page.wait_for_selector(".kb-test-compare", timeout=30000)
    now = page.locator(".kb-test-compare .kb-test-run").last
    assert now.locator("h3").inner_text() == "Nyt"
    assert now.locator("tbody tr").first.get_attribute("data-doc") == DOC
    assert now.locator("[data-decision]").get_attribute("data-decision") == "answer"
    context.close()

    after = widget_answer(browser, base_url)
    print(f"widget before: {before[:70]!r}\nwidget after: {after[:70]!r}")
    assert "Ateriapalvelu" in after and NEW_SENTENCE in after, after
    assert NEW_SENTENCE in (copies / "knowledge" / "services" / f"{DOC}.md").read_text(encoding="utf-8")
    assert errors == []
