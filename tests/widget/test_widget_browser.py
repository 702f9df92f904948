"""The widget in a real browser (Debian's chromium driven by Playwright) against the real stack."""

from __future__ import annotations

import time

import pytest

from bot.settings import PROJECT_ROOT
from tests.conftest import running_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
AXE = PROJECT_ROOT / "build" / "node" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    for running, base in running_stack(tmp_path_factory, None):
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    page.goto(base_url + "/")
    yield page
    context.close()


def open_widget(page):
    page.get_by_role("button", name="Palveluopas").click()
    return page.get_by_label("Kirjoita kysymyksesi")


def ask(page, text: str) -> float:
    started = time.perf_counter()
    field = page.get_by_label("Kirjoita kysymyksesi")
    count = page.locator(".kpo-log > *").count()
    field.fill(text)
    field.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.kpo-log > *').length > {count + 1}", timeout=30000)
    return time.perf_counter() - started


def test_question_gets_a_card_and_feedback_is_thanked(page):
    open_widget(page)
    page.wait_for_selector(".kpo-notice")  # privacy notice before the first message
    seconds = ask(page, "Miten saan uusittua reseptini?")
    card = page.locator(".kpo-card").last
    assert card.locator("h3").inner_text()
    assert card.locator("a").get_attribute("href").startswith("https://")
    page.get_by_role("button", name="Kyllä").last.click()
    page.wait_for_selector("text=Hienoa, kiitos palautteesta!")
    print(f"\nsend → rendered reply in the browser: {seconds * 1000:.0f} ms")


def test_history_survives_reload_and_delete_clears_it(page, base_url):
    open_widget(page)
    ask(page, "Missä on Kuhmon terveysasema?")
    page.reload()
    open_widget(page)
    page.wait_for_selector(".kpo-card")
    assert "Kuhmon terveysasema" in page.locator(".kpo-log").inner_text()
    page.get_by_role("button", name="Poista keskusteluni").click()
    page.wait_for_selector("text=Keskustelusi on poistettu.")
    assert page.locator(".kpo-card").count() == 0


def test_injected_html_is_shown_as_text(page):
    open_widget(page)
    ask(page, "<img src=x onerror=alert(1)>")
    log = page.locator(".kpo-log")
    assert "<img src=x onerror=alert(1)>" in log.inner_text()
    assert log.locator("img").count() == 0
    assert page.dialogs == []


def test_keyboard_only_use_and_focus_return(page):
    page.keyboard.press("Tab")
    for _ in range(10):
        if page.evaluate("document.activeElement.className") == "kpo-launcher":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "kpo-launcher"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "kpo-input"
    page.keyboard.type("moi")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Hei! Olen Kainuun")
    page.keyboard.press("Escape")
    assert page.locator("#kpo-panel").is_hidden()
    assert page.evaluate("document.activeElement.className") == "kpo-launcher"


def test_log_is_announced_politely(page):
    open_widget(page)
    log = page.locator(".kpo-log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"


def test_axe_finds_no_accessibility_violations(page):
    open_widget(page)
    ask(page, "Miten saan uusittua reseptini?")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    violations = [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    assert violations == []


def test_clarification_buttons_lead_to_the_chosen_service(page):
    open_widget(page)
    ask(page, "terveysasema")  # no municipality named: the bot asks which one
    page.get_by_role("button", name="Kuhmon terveysasema").click()
    page.wait_for_selector(".kpo-card h3:has-text('Kuhmon terveysasema')", timeout=30000)
    assert page.locator(".kpo-msg[lang='fi']").count() > 0
