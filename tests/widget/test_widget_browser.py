"""The widget in a real browser (Debian's chromium driven by Playwright) against the real stack."""

from __future__ import annotations

import time

import pytest

from bot.settings import PROJECT_ROOT
from tests.conftest import running_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]
AXE = PROJECT_ROOT / "build" / "node" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # advisors "work" around the clock here, so the handoff test does not depend on when CI runs
    yield from running_stack(tmp_path_factory, None, {"SERVICE_HOURS": "always"})


@pytest.fixture(scope="module")
def base_url(stack):
    return stack[1]


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


def test_resident_and_advisor_chat_live_and_the_handoff_survives_reload(browser, stack, page):
    from bot.db import database_url, make_engine, migrate
    from bot.staff.accounts import Accounts

    running, base = stack
    url = database_url(running.settings)
    migrate(url)
    Accounts(make_engine(url)).create_user("neuvoja", "neuvojan-salasana-1", "advisor", "Neuvoja Niina")
    advisor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    advisor = advisor_context.new_page()
    advisor.goto(base + "/staff/handoff")
    advisor.get_by_label("Käyttäjätunnus").fill("neuvoja")
    advisor.get_by_label("Salasana").fill("neuvojan-salasana-1")
    advisor.get_by_role("button", name="Kirjaudu").click()
    advisor.get_by_role("heading", name="Asiakasjono").wait_for()

    open_widget(page)
    ask(page, "Haluan puhua palveluneuvojan kanssa")
    bar = page.locator(".kpo-handoff")
    bar.get_by_text("sijasi: 1").wait_for(timeout=15000)

    advisor.get_by_role("link", name="Avaa keskustelu").first.click(timeout=15000)
    advisor.get_by_role("button", name="Ota keskustelu").click()
    advisor.get_by_label("Vastaus asukkaalle").fill("Hei, olen palveluneuvoja. Miten voin auttaa?")
    advisor.get_by_role("button", name="Lähetä").click()

    page.locator(".kpo-advisor").get_by_text("Miten voin auttaa?").wait_for(timeout=15000)
    bar.get_by_text("Palveluneuvoja on linjalla.").wait_for()
    field = page.get_by_label("Kirjoita kysymyksesi")
    field.fill("Tarvitsen apua kotihoidon hakemisessa")
    field.press("Enter")
    advisor.locator("#live").get_by_text("Tarvitsen apua kotihoidon hakemisessa").wait_for(timeout=15000)

    page.reload()  # moving to another page of the county site keeps the live chat
    open_widget(page)
    page.locator(".kpo-advisor").get_by_text("Miten voin auttaa?").wait_for(timeout=15000)
    bar.get_by_text("Palveluneuvoja on linjalla.").wait_for(timeout=15000)

    advisor.get_by_role("button", name="Lopeta keskustelu").click()
    page.get_by_text("Keskustelu palveluneuvojan kanssa päättyi.").wait_for(timeout=15000)
    assert bar.is_hidden()
    advisor.evaluate("""() => fetch('/staff/api/handoff/sign-off', {method: 'POST', headers: {'X-CSRF-Token':
        document.querySelector('meta[name=csrf-token]').content}})""")
    advisor_context.close()


def test_with_no_advisor_online_resident_can_leave_a_call_back_request(page, stack):
    open_widget(page)
    ask(page, "Haluan puhua palveluneuvojan kanssa")
    page.get_by_text("Yksikään palveluneuvoja ei ole juuri nyt paikalla").wait_for(timeout=15000)
    page.get_by_role("button", name="Jätä soittopyyntö").click()
    page.get_by_label("Puhelinnumero").fill("040 765 4321")
    page.get_by_label("Sopiva aika soittaa").fill("iltapäivällä")
    page.get_by_role("button", name="Lähetä soittopyyntö").click()
    page.get_by_text("Soittopyyntösi on tallennettu.").wait_for(timeout=15000)


def test_reflows_at_400_percent_zoom(browser, base_url):
    """WCAG 1.4.10: 1280 × 1024 at 400 % zoom is a 320 × 256 CSS-pixel viewport; nothing scrolls sideways."""
    context = browser.new_context(viewport={"width": 320, "height": 256}, device_scale_factor=4)
    page = context.new_page()
    page.goto(base_url + "/")
    open_widget(page)
    ask(page, "missä on lähin neuvola sotkamossa")
    page.locator(".kpo-card, .kpo-bot").last.wait_for()
    widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth,
        panel: document.querySelector('.kpo-panel').scrollWidth, panelBox: document.querySelector('.kpo-panel').clientWidth})""")
    assert widths["page"] <= 320 and widths["panel"] <= widths["panelBox"], widths
    send = page.get_by_role("button", name="Lähetä")
    send.scroll_into_view_if_needed()
    assert send.is_visible() and page.get_by_label("Kirjoita kysymyksesi").is_visible()
    context.close()
