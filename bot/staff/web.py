"""Request-level security of the staff console: who is signed in, which role a page needs, CSRF.

Pages answer 401 with the sign-in form when nobody is signed in and 403 when the role is wrong;
JSON endpoints under /staff/api answer the same codes with a JSON error. Every state-changing
request must carry the session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`).
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates

from bot.staff.accounts import ROLE_LABELS_FI, StaffSession

SESSION_COOKIE = "kainuu_staff"
LOGIN_CSRF_COOKIE = "kainuu_login_csrf"
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.globals["role_labels"] = ROLE_LABELS_FI


def _local_time(ts: float | None) -> str:
    from datetime import datetime

    from bot.service_hours import HELSINKI

    return datetime.fromtimestamp(ts, HELSINKI).strftime("%d.%m.%Y klo %H.%M") if ts else "–"


templates.env.filters["localtime"] = _local_time


class NotSignedIn(Exception):
    """Raised by the dependencies; the app turns it into the sign-in page (401) or a JSON 401."""


class WrongRole(Exception):
    def __init__(self, session: StaffSession) -> None:
        self.session = session


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/staff/api/") or "application/json" in request.headers.get("accept", "")


def cookie_is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.settings.cookie_secure


def current_session(request: Request) -> StaffSession:
    session = request.app.state.services.accounts.session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise NotSignedIn()
    request.state.staff = session
    return session


async def _check_csrf(request: Request, session: StaffSession) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf_token")
    if not sent or not hmac.compare_digest(str(sent).encode(), session.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page and try again")


def require_role(*roles: str) -> Callable:
    """Dependency: a signed-in user with one of `roles` (admins pass every check), CSRF checked."""

    async def dependency(request: Request, session: StaffSession = Depends(current_session)) -> StaffSession:
        if not session.user.has_role(*roles):
            raise WrongRole(session)
        await _check_csrf(request, session)
        return session

    return dependency


def render(request: Request, template: str, status_code: int = 200, **context):
    session = getattr(request.state, "staff", None)
    response = templates.TemplateResponse(request, template, {"staff": session, **context}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
