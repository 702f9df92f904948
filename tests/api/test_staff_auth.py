"""Staff console security: sign-in, roles (401/403), CSRF, throttling, cookies, no open redirect."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.staff.accounts import AccountError
from tests.api.staff_helpers import PASSWORD, csrf_from, make_user, sign_in


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        make_user(app, "anna", "advisor")
        make_user(app, "eero", "editor")
        make_user(app, "aino", "admin")
        yield test_client


def test_pages_need_a_sign_in(client):
    response = client.get("/staff/users")
    assert response.status_code == 401
    assert 'name="password"' in response.text  # the sign-in form, in place
    assert client.get("/staff/api/handoff/queue").json()["error"] == "not_signed_in"


def test_wrong_password_is_refused_and_no_cookie_set(client):
    response = sign_in(client, "anna", "väärä-salasana-123")
    assert response.status_code == 401 and "Väärä käyttäjätunnus" in response.text
    assert "kainuu_staff" not in client.cookies


def test_sign_in_sets_a_hardened_cookie_and_redirects(client):
    response = sign_in(client, "aino", next_url="/staff/users")
    assert response.status_code == 303 and response.headers["location"] == "/staff/users"
    cookie = response.headers["set-cookie"]
    assert "kainuu_staff=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert client.get("/staff/users").status_code == 200


def test_next_never_leaves_the_console(client):
    for target in ("https://evil.example/", "//evil.example/", "/api/chat"):
        assert sign_in(client, "aino", next_url=target).headers["location"] == "/staff/"


def test_roles_are_enforced(client):
    sign_in(client, "anna")
    response = client.get("/staff/users")
    assert response.status_code == 403 and "Ei käyttöoikeutta" in response.text


def test_state_changes_need_the_session_csrf_token(client):
    sign_in(client, "aino")
    form = {"username": "uusi", "password": PASSWORD, "role": "advisor"}
    assert client.post("/staff/users", data=form).status_code == 403
    assert client.post("/staff/users", data={**form, "csrf_token": "guess"}).status_code == 403
    token = csrf_from(client.get("/staff/users").text)
    assert client.post("/staff/users", data={**form, "csrf_token": token}).status_code == 200
    assert "uusi" in client.get("/staff/users").text


def test_login_form_needs_its_own_csrf_cookie(client):
    response = client.post("/staff/login", data={"username": "aino", "password": PASSWORD, "csrf_token": "x"})
    assert response.status_code == 403


def test_repeated_failures_are_throttled_even_with_the_right_password(client):
    for _ in range(5):
        assert sign_in(client, "anna", "väärä-salasana-123").status_code == 401
    response = sign_in(client, "anna")
    assert response.status_code == 429 and "Liian monta" in response.text


def test_sign_out_ends_the_session_on_the_server(client):
    sign_in(client, "aino")
    token = client.cookies.get("kainuu_staff")
    page = client.get("/staff/users")
    client.post("/staff/logout", data={"csrf_token": csrf_from(page.text.split("Lisää käyttäjä")[0])})
    client.cookies.set("kainuu_staff", token, path="/staff")  # a stolen copy of the old cookie
    assert client.get("/staff/users").status_code == 401


def test_console_pages_are_not_framed_or_cached(client):
    sign_in(client, "aino")
    response = client.get("/staff/users")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_weak_passwords_and_unknown_roles_are_refused(app, client):
    with pytest.raises(AccountError):
        app.state.services.accounts.create_user("lyhyt", "short", "advisor")
    with pytest.raises(AccountError):
        app.state.services.accounts.create_user("rooli", PASSWORD, "superuser")


def test_passwords_are_stored_hashed(app, client):
    from sqlalchemy import select

    from bot.db.tables import staff_users

    with app.state.services.engine.connect() as db:
        stored = db.execute(select(staff_users.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in stored)
