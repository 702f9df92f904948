"""The app factory: `uvicorn bot.api.app:create_app --factory`."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware

from bot.api import (routes_actions, routes_chat, routes_handoff, routes_health, routes_kb_editor, routes_staff_auth,
                     routes_staff_console)
from bot.chat import ChatService
from bot.rasa_client import RasaClient
from bot.services import Services, set_services
from bot.staff.web import NotSignedIn, WrongRole, render, wants_json
from bot.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
# Rasa sends the whole conversation tracker with every action call, so its requests grow with the
# conversation; the action endpoint only listens to Rasa on the internal network.
MAX_ACTION_BODY_BYTES = 16 * 1024 * 1024
WIDGET_DIR = PROJECT_ROOT / "widget"
STAFF_STATIC_DIR = PROJECT_ROOT / "bot" / "staff" / "static"
STAFF_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class BodyLimit(BaseHTTPMiddleware):
    """Refuse oversized bodies before they are read, whatever the endpoint."""

    async def dispatch(self, request: Request, call_next):
        limit = MAX_ACTION_BODY_BYTES if request.url.path == "/webhook" else MAX_BODY_BYTES
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            return JSONResponse({"error": "too_large", "message": f"request body over {limit} bytes"}, status_code=413)
        return await call_next(request)


class StaffSecurityHeaders(BaseHTTPMiddleware):
    """The console shows redacted resident text: no framing, no foreign scripts, no caching."""

    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        if request.url.path.startswith("/staff"):
            for name, value in STAFF_SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        return response


def _error(status: int, error: str, message: str, details: list | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, "details": details or []}, status_code=status)


def _describe(errors: list[dict]) -> tuple[str, list[dict]]:
    details = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "problem": e.get("msg", "")}
               for e in errors]
    if any(e.get("type") == "json_invalid" for e in errors):
        return "the request body is not valid JSON", details
    return "; ".join(f"{d['field']}: {d['problem']}" for d in details) or "invalid request", details


async def _retention_loop(settings: Settings, services: Services, every_s: float = 6 * 3600) -> None:
    """Delete whatever is older than RETENTION_DAYS, at start-up and then every few hours."""
    from bot.analytics.retention import purge_rasa_trackers

    while True:
        try:
            removed = await asyncio.to_thread(services.events.purge_older_than, settings.retention_days)
            removed += await asyncio.to_thread(purge_rasa_trackers, settings)
            removed += await asyncio.to_thread(services.handoff.purge, settings.retention_days)
            if removed:
                log.info("retention: removed %d old records", removed)
        except Exception:  # a failed purge must not stop the app; it is retried next round
            log.exception("retention purge failed")
        await asyncio.sleep(every_s)


def create_app(settings: Settings | None = None, warm_up: bool = True) -> FastAPI:
    settings = settings or get_settings()
    services = Services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from rasa_sdk.executor import ActionExecutor

        set_services(services)
        await asyncio.to_thread(lambda: services.handoff)  # migrates the database before the first request
        executor = ActionExecutor()
        executor.register_package("actions")
        app.state.executor = executor
        app.state.rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_s)
        # the semantic safety net needs the embedding model, which only a warmed-up app has loaded
        app.state.chat = ChatService(app.state.rasa, services.texts, services.events, settings.salt(),
                                     services.handoff, (lambda text: services.semantic_safety.check(text)) if warm_up else None)
        retention = asyncio.create_task(_retention_loop(settings, services))
        if warm_up:
            try:
                await asyncio.to_thread(services.warm_up)
            except FileNotFoundError as error:  # no index yet: /health says so, the bot answers with the fallback
                log.error("retrieval not ready: %s", error)
        yield
        retention.cancel()
        services.events.flush()
        await app.state.rasa.close()
        set_services(None)

    app = FastAPI(title="Kainuun palveluopas", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.services = services
    app.add_middleware(BodyLimit)
    app.add_middleware(StaffSecurityHeaders)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _error_: NotSignedIn):
        if wants_json(request):
            return _error(401, "not_signed_in", "sign in to the staff console first")
        return routes_staff_auth.login_page(request, status_code=401)

    @app.exception_handler(WrongRole)
    async def wrong_role(request: Request, problem: WrongRole):
        if wants_json(request):
            return _error(403, "forbidden", "your role does not allow this")
        request.state.staff = problem.session
        return render(request, "error.html", status_code=403, heading="Ei käyttöoikeutta",
                      message="Roolisi ei salli tätä sivua. Pyydä oikeutta ylläpitäjältä.")

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        message, details = _describe(error.errors())
        return _error(422, "invalid_request", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if request.url.path.startswith("/staff") and not wants_json(request):
            return render(request, "error.html", status_code=error.status_code, heading="Virhe",
                          message=str(error.detail))
        if error.status_code == 400:  # Starlette could not parse the body (binary, wrong encoding)
            return _error(400, "invalid_request", "the request body is not valid UTF-8 JSON")
        codes = {404: "not_found", 405: "method_not_allowed", 422: "invalid_request"}
        return _error(error.status_code, codes.get(error.status_code, "http_error"), str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _error(500, "internal_error", "something went wrong on our side; the error was logged")

    app.include_router(routes_chat.router)
    app.include_router(routes_health.router)
    app.include_router(routes_actions.router)
    app.include_router(routes_staff_auth.router)
    app.include_router(routes_staff_console.router)
    app.include_router(routes_handoff.resident)
    app.include_router(routes_handoff.staff)
    app.include_router(routes_kb_editor.router)
    app.mount("/staff/static", StaticFiles(directory=STAFF_STATIC_DIR), name="staff-static")
    app.mount("/widget", StaticFiles(directory=WIDGET_DIR), name="widget")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def demo_page() -> HTMLResponse:
        return HTMLResponse((WIDGET_DIR / "demo.html").read_text(encoding="utf-8"))

    return app
