"""Staff console sign-in, sign-out and user administration."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from bot.staff.accounts import ROLES, AccountError, StaffSession
from bot.staff.web import LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie_is_secure, render, require_role

router = APIRouter(prefix="/staff", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only console paths: never an open redirect to another site, nor back to the sign-in form itself."""
    if (target and target.startswith("/staff/") and not target.startswith("//") and "\\" not in target
            and target.split("?", 1)[0] not in ("/staff/login", "/staff/logout")):
        return target
    return "/staff/"


def login_page(request: Request, status_code: int = 200, error: str | None = None, username: str | None = None,
               next_url: str | None = None):
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status_code=status_code, error=error, username=username,
                      login_csrf=token, next=_safe_next(next_url or str(request.url.path)))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_is_secure(request),
                        path="/staff")
    return response


@router.get("/login")
async def login_form(request: Request, next: str | None = None):
    return login_page(request, next_url=next)


@router.post("/login")
async def login(request: Request, username: str = Form(""), password: str = Form(""),
                csrf_token: str = Form(""), next: str = Form("/staff/")):
    accounts = request.app.state.services.accounts
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        return login_page(request, 403, "Lomake vanheni. Yritä uudelleen.", username, next)
    address = request.client.host if request.client else "unknown"
    key = f"{address}|{username.strip().lower()}"
    if accounts.is_throttled(key) or accounts.is_throttled(address, limit=accounts.max_failures * 4):
        return login_page(request, 429, "Liian monta epäonnistunutta yritystä. Odota 15 minuuttia.", username, next)
    user = accounts.authenticate(username, password, key)
    if user is None:
        accounts.authenticate("", "", address)  # also count towards the per-address limit
        return login_page(request, 401, "Väärä käyttäjätunnus tai salasana.", username, next)
    session = accounts.start_session(user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="strict",
                        secure=cookie_is_secure(request), path="/staff",
                        max_age=int(accounts.session_seconds))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/staff")
    return response


@router.post("/logout")
async def logout(request: Request, session: StaffSession = Depends(require_role("advisor", "editor"))):
    request.app.state.services.accounts.end_session(session.token)
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


@router.get("/users")
async def users(request: Request, session: StaffSession = Depends(require_role("admin"))):
    return render(request, "users.html", users=request.app.state.services.accounts.users(), roles=ROLES)


@router.post("/users")
async def create_user(request: Request, session: StaffSession = Depends(require_role("admin")),
                      username: str = Form(...), password: str = Form(...), role: str = Form(...),
                      display_name: str = Form("")):
    accounts = request.app.state.services.accounts
    try:
        accounts.create_user(username, password, role, display_name or None)
        message, error = f"Käyttäjä {username} lisättiin.", None
    except AccountError as problem:
        message, error = None, str(problem)
    return render(request, "users.html", status_code=400 if error else 200, users=accounts.users(), roles=ROLES,
                  message=message, error=error)
