"""Residents' chat API."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Path, Request

from bot.api.schemas import SESSION_ID, ChatRequest, ChatResponse

router = APIRouter(prefix="/api", tags=["chat"])


def _chat(request: Request):
    return request.app.state.chat


@router.post("/chat", response_model=ChatResponse, responses={422: {"description": "Invalid request"}})
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    limit = request.app.state.settings.max_message_chars
    if len(body.text) > limit:
        raise HTTPException(status_code=422, detail=f"text is longer than {limit} characters")
    result = await _chat(request).handle(body.session_id, body.text, body.lang, label=body.label)
    return ChatResponse(**result.__dict__)


@router.get("/chat/{session_id}/history")
async def history(request: Request, session_id: str = Path(pattern=SESSION_ID)) -> dict:
    chat = _chat(request)
    chat.events.flush()
    return {"session_id": session_id, "messages": chat.events.history(chat.conversation_id(session_id))}


@router.delete("/chat/{session_id}")
async def delete_conversation(request: Request, session_id: str = Path(pattern=SESSION_ID)) -> dict:
    from bot.analytics.retention import delete_rasa_conversation

    chat = _chat(request)
    conversation = chat.conversation_id(session_id)
    chat.events.delete_conversation(conversation)
    await asyncio.to_thread(request.app.state.services.handoff.delete_conversation, conversation)
    chat.events.flush()
    try:
        await asyncio.to_thread(delete_rasa_conversation, request.app.state.settings, conversation)
    except Exception as error:  # the app's own copy is gone; report that Rasa's could not be reached
        return {"session_id": session_id, "deleted": True, "rasa_tracker_deleted": False, "error": type(error).__name__}
    return {"session_id": session_id, "deleted": True, "rasa_tracker_deleted": True}


@router.get("/privacy")
async def privacy(request: Request, lang: str = "fi") -> dict:
    lang = lang if lang in ("fi", "sv", "en") else "fi"
    return {"lang": lang, "text": request.app.state.services.texts.get("privacy-notice", lang),
            "retention_days": request.app.state.settings.retention_days}
