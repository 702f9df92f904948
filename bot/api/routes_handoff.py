"""Human handoff over HTTP: the resident's side under /api/handoff, the advisor's under /staff.

Live updates are server-sent events (`…/stream`); each event carries the new messages and the
handoff's state, and a client that reconnects passes the last message id it saw (`after`).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import AsyncIterator, Callable

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from bot.api.schemas import SESSION_ID
from bot.handoff.service import HandoffError
from bot.handoff.views import advisor_message, resident_state
from bot.staff.accounts import StaffSession
from bot.staff.web import render, require_role

resident = APIRouter(prefix="/api/handoff", tags=["handoff"])
staff = APIRouter(prefix="/staff", include_in_schema=False)
advisor_role = require_role("advisor")
STREAM_SECONDS = 300  # a stream ends after this; EventSource reconnects by itself with the last id


class CallbackRequest(BaseModel):
    phone: str = Field(max_length=32, description="Finnish phone number to call back.")
    preferred_time: str = Field("", max_length=120, description="When suits the resident, in their words.")
    topic: str = Field("", max_length=500, description="What the call is about (redacted before storing).")
    lang: str = Field("fi", pattern="^(fi|sv|en)$")


class AdvisorMessage(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


def _services(request: Request):
    return request.app.state.services


def _conversation(request: Request, session_id: str) -> str:
    return request.app.state.chat.conversation_id(session_id)


def _resident_snapshot(request: Request, session_id: str, lang: str, after: int) -> dict:
    handoff_service = _services(request).handoff
    handoff = handoff_service.latest_handoff(_conversation(request, session_id))
    messages = handoff_service.messages(handoff["id"], after) if handoff else []
    position = handoff_service.position(handoff) if handoff else None
    return resident_state(handoff, position, messages, _services(request).texts, lang)


async def _event_stream(request: Request, snapshot: Callable[[int], dict], after: int) -> AsyncIterator[str]:
    notifier = _services(request).handoff.notifier
    last_state = None
    started = time.monotonic()
    while time.monotonic() - started < STREAM_SECONDS and not await request.is_disconnected():
        seen = notifier.version
        state = await asyncio.to_thread(snapshot, after)
        key = (state.get("status"), state.get("position"))
        if state["messages"] or key != last_state:
            if state["messages"]:
                after = state["messages"][-1]["id"]
            last_state = key
            yield f"id: {after}\nevent: handoff\ndata: {json.dumps(state, ensure_ascii=False)}\n\n"
        else:
            yield ": keep-alive\n\n"
        await notifier.wait(seen)


def _sse(generator: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(generator, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _after(request: Request, after: int) -> int:
    last_event = request.headers.get("last-event-id", "")
    return int(last_event) if last_event.isdigit() else after


# --- resident -------------------------------------------------------------------------------------
@resident.get("/availability")
async def availability(request: Request, lang: str = "fi") -> dict:
    service = _services(request).handoff
    state = await asyncio.to_thread(service.availability)
    return {"status": state.status, "hours": service.hours.describe(lang if lang in ("fi", "sv", "en") else "fi")}


@resident.get("/{session_id}")
async def resident_status(request: Request, session_id: str = Path(pattern=SESSION_ID), lang: str = "fi",
                          after: int = 0) -> dict:
    return await asyncio.to_thread(_resident_snapshot, request, session_id, lang, after)


@resident.get("/{session_id}/stream")
async def resident_stream(request: Request, session_id: str = Path(pattern=SESSION_ID), lang: str = "fi",
                          after: int = 0) -> StreamingResponse:
    return _sse(_event_stream(request, lambda a: _resident_snapshot(request, session_id, lang, a),
                              _after(request, after)))


@resident.post("/{session_id}/cancel")
async def resident_cancel(request: Request, session_id: str = Path(pattern=SESSION_ID), lang: str = "fi") -> dict:
    await asyncio.to_thread(_services(request).handoff.cancel, _conversation(request, session_id))
    return await asyncio.to_thread(_resident_snapshot, request, session_id, lang, 0)


@resident.post("/{session_id}/callback")
async def resident_callback(body: CallbackRequest, request: Request,
                            session_id: str = Path(pattern=SESSION_ID)) -> dict:
    from bot.analytics.redact import redact

    service = _services(request).handoff
    try:
        saved = await asyncio.to_thread(service.request_callback, _conversation(request, session_id), body.phone,
                                        redact(body.preferred_time).text, redact(body.topic).text, body.lang)
    except HandoffError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    text = _services(request).texts.get("callback-saved", body.lang).format(days=saved["retention_days"])
    return {"saved": True, "id": saved["id"], "text": text}


# --- advisor --------------------------------------------------------------------------------------
def _queue_view(request: Request, session: StaffSession) -> dict:
    service = _services(request).handoff
    service.heartbeat(session.user)
    now = time.time()
    waiting_rank = 0
    rows = []
    for handoff in service.queue():
        if handoff["status"] == "waiting":
            waiting_rank += 1
        rows.append({"id": handoff["id"], "status": handoff["status"], "lang": handoff["lang"],
                     "position": waiting_rank if handoff["status"] == "waiting" else None,
                     "waited_s": round(now - handoff["requested_ts"]), "advisor": handoff["advisor_name"],
                     "mine": handoff["advisor_id"] == session.user.id})
    callbacks = [{k: c[k] for k in ("id", "ts", "phone", "preferred_time", "topic", "lang")}
                 for c in service.callbacks()]
    availability = service.availability()
    return {"availability": availability.status, "advisors_online": availability.advisors_online,
            "hours": service.hours.describe("fi"), "queue": rows, "callbacks": callbacks}


def _advisor_snapshot(request: Request, handoff_id: int, after: int) -> dict:
    service = _services(request).handoff
    handoff = service.get(handoff_id)
    if handoff is None:
        raise HTTPException(status_code=404, detail="no such handoff")
    return {"id": handoff_id, "status": handoff["status"], "advisor": handoff["advisor_name"],
            "position": service.position(handoff),
            "messages": [advisor_message(m) for m in service.messages(handoff_id, after)]}


def _handoff_error(error: HandoffError) -> HTTPException:
    return HTTPException(status_code=409, detail=str(error))


@staff.get("/handoff")
async def queue_page(request: Request, session: StaffSession = Depends(advisor_role)):
    return render(request, "handoff_queue.html", view=await asyncio.to_thread(_queue_view, request, session))


@staff.get("/handoff/{handoff_id}")
async def conversation_page(request: Request, handoff_id: int, session: StaffSession = Depends(advisor_role)):
    service = _services(request).handoff
    handoff = await asyncio.to_thread(service.get, handoff_id)
    if handoff is None:
        raise HTTPException(status_code=404, detail="Keskustelua ei löydy.")
    events = _services(request).events
    events.flush()
    history = await asyncio.to_thread(events.history, handoff["conversation"])
    return render(request, "handoff_conversation.html", handoff=handoff, history=history,
                  snapshot=await asyncio.to_thread(_advisor_snapshot, request, handoff_id, 0))


@staff.get("/api/handoff/queue")
async def queue_json(request: Request, session: StaffSession = Depends(advisor_role)) -> dict:
    return await asyncio.to_thread(_queue_view, request, session)


@staff.post("/api/handoff/sign-off")
async def sign_off(request: Request, session: StaffSession = Depends(advisor_role)) -> dict:
    await asyncio.to_thread(_services(request).handoff.sign_off, session.user)
    return {"online": False}


@staff.get("/api/handoff/{handoff_id}")
async def handoff_json(request: Request, handoff_id: int, after: int = 0,
                       session: StaffSession = Depends(advisor_role)) -> dict:
    return await asyncio.to_thread(_advisor_snapshot, request, handoff_id, after)


@staff.get("/api/handoff/{handoff_id}/stream")
async def handoff_stream(request: Request, handoff_id: int, after: int = 0,
                         session: StaffSession = Depends(advisor_role)) -> StreamingResponse:
    await asyncio.to_thread(_advisor_snapshot, request, handoff_id, 0)  # 404 before the stream starts
    return _sse(_event_stream(request, lambda a: _advisor_snapshot(request, handoff_id, a), _after(request, after)))


@staff.post("/api/handoff/{handoff_id}/accept")
async def accept(request: Request, handoff_id: int, session: StaffSession = Depends(advisor_role)) -> dict:
    try:
        await asyncio.to_thread(_services(request).handoff.accept, handoff_id, session.user)
    except HandoffError as error:
        raise _handoff_error(error) from error
    return await asyncio.to_thread(_advisor_snapshot, request, handoff_id, 0)


@staff.post("/api/handoff/{handoff_id}/message")
async def post_message(body: AdvisorMessage, request: Request, handoff_id: int,
                       session: StaffSession = Depends(advisor_role)) -> dict:
    try:
        await asyncio.to_thread(_services(request).handoff.advisor_message, handoff_id, session.user, body.text.strip())
    except HandoffError as error:
        raise _handoff_error(error) from error
    return {"sent": True}


@staff.post("/api/handoff/{handoff_id}/end")
async def end(request: Request, handoff_id: int, session: StaffSession = Depends(advisor_role)) -> dict:
    try:
        await asyncio.to_thread(_services(request).handoff.end, handoff_id, session.user)
    except HandoffError as error:
        raise _handoff_error(error) from error
    return await asyncio.to_thread(_advisor_snapshot, request, handoff_id, 0)


@staff.post("/api/callbacks/{request_id}/done")
async def callback_done(request: Request, request_id: int, session: StaffSession = Depends(advisor_role)) -> dict:
    try:
        await asyncio.to_thread(_services(request).handoff.callback_done, request_id, session.user)
    except HandoffError as error:
        raise _handoff_error(error) from error
    return {"done": True}
