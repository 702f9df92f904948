"""`/health`: each component's state, so an operator sees what is wrong at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.retrieval.index import current_build_id

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    state = request.app.state
    components: dict[str, dict] = {}
    components["rasa"] = {"ok": await state.rasa.is_up(), "url": state.settings.rasa_url}
    components["action_endpoint"] = {"ok": bool(state.executor.list_actions()), "actions": len(state.executor.list_actions())}
    build = current_build_id(state.settings.index_dir)
    components["index"] = {"ok": build is not None, "build": build, "loaded": state.services.retriever.loaded}
    if state.settings.redis_url:
        components["redis"] = await _redis_status(state.settings.redis_url)
    ok = all(c["ok"] for c in components.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "components": components}, status_code=200 if ok else 503)


async def _redis_status(url: str) -> dict:
    import redis.asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return {"ok": bool(await client.ping())}
    except Exception as error:  # any failure means "down" for a health check
        return {"ok": False, "error": type(error).__name__}
    finally:
        await client.aclose()
