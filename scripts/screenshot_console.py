"""Screenshots of the staff console on simulated data, for the docs (no running bot needed).

Usage: .venv-app/bin/python scripts/screenshot_console.py
Starts the app in-process on a temporary database with 5,000 simulated turns and one admin.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from bot.analytics.simulate import simulate
from bot.api.app import create_app
from bot.settings import Settings

OUT = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PASSWORD = "kuvakaappaus-salasana"

with tempfile.TemporaryDirectory() as folder:
    settings = Settings(data_dir=Path(folder), app_port=8791, rasa_url="http://127.0.0.1:9", service_hours="always")
    app = create_app(settings, warm_up=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.app_port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    simulate(app.state.services.engine, 5000, days=30, seed=7)
    app.state.services.accounts.create_user("paakayttaja", PASSWORD, "admin", "Pää Käyttäjä")
    base = f"http://127.0.0.1:{settings.app_port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base + "/staff/login")
        page.get_by_label("Käyttäjätunnus").fill("paakayttaja")
        page.get_by_label("Salasana").fill(PASSWORD)
        page.get_by_role("button", name="Kirjaudu").click()
        page.wait_for_load_state()
        for name, path in (("overview", "/staff/"), ("inbox", "/staff/inbox"), ("handoff", "/staff/handoff"),
                           ("kb", "/staff/kb")):
            page.goto(base + path)
            page.screenshot(path=str(OUT / f"console-{name}.png"), full_page=False)
        browser.close()
    server.should_exit = True
print("wrote docs/console-*.png")
