"""Rasa's action endpoint, served inside the app so the model and index are loaded once.

It speaks the same protocol as `python -m rasa_sdk` (POST /webhook) using rasa_sdk's executor.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

log = logging.getLogger(__name__)
router = APIRouter(tags=["rasa actions"])


@router.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    try:
        action_call = await request.json()
    except ValueError:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    executor = request.app.state.executor
    try:
        result = await executor.run(action_call)
    except ActionExecutionRejection as error:
        return JSONResponse({"error": error.message, "action_name": error.action_name}, status_code=400)
    except ActionNotFoundException as error:
        log.error("unknown action: %s", error)
        return JSONResponse({"error": error.message, "action_name": error.action_name}, status_code=404)
    except ActionMissingDomainException as error:
        return JSONResponse({"error": error.message, "action_name": error.action_name}, status_code=449)
    return JSONResponse(result.model_dump() if result else None)


@router.get("/actions")
async def actions(request: Request) -> list[dict]:
    return [a.model_dump() for a in request.app.state.executor.list_actions()]
