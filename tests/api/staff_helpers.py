"""Signing in to the staff console from TestClient, as a browser would (cookies and form CSRF)."""

from __future__ import annotations

import re

PASSWORD = "oikein-pitkä-salasana-1"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD, next_url: str = "/staff/"):
    form = client.get("/staff/login")
    return client.post("/staff/login", data={"username": username, "password": password,
                                             "csrf_token": csrf_from(form.text), "next": next_url},
                       follow_redirects=False)


def make_user(app, username: str, role: str) -> None:
    app.state.services.accounts.create_user(username, PASSWORD, role)


def session_csrf(client, page: str = "/staff/users") -> str:
    response = client.get(page)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.text)
    assert match, f"{page} has no CSRF meta tag (status {response.status_code})"
    return match.group(1)
