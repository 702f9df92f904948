"""Screenshots of the demo page with the widget open, for the README (needs a running bot).

Usage: .venv-app/bin/python scripts/screenshot.py [BASE_URL]
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
    for name, viewport in (("desktop", {"width": 1280, "height": 860}), ("mobile", {"width": 390, "height": 844})):
        page = browser.new_page(viewport=viewport)
        page.goto(BASE + "/")
        page.get_by_role("button", name="Palveluopas").click()
        page.get_by_label("Kirjoita kysymyksesi").fill("Miten uusin reseptin Kajaanissa?")
        page.keyboard.press("Enter")
        page.wait_for_selector(".kpo-card", timeout=30000)
        page.screenshot(path=str(OUT / f"screenshot-{name}.png"))
        page.close()
    browser.close()
print("wrote docs/screenshot-*.png")
