"""The editors' workspace in the staff console: documents, history, staleness, knowledge gaps.

Thin: forms are parsed here and handed to bot.kb.editor.KnowledgeEditor, which validates, writes
the Markdown file and queues the re-index. Pages work without JavaScript; kb.js adds the live
card preview, the "test this question" panel and the re-index status.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from bot.dialogue import CARD_LABELS, reply_to_service_question
from bot.kb.documents import ANSWER_TYPES, MUNICIPALITIES
from bot.kb.editor import (
    EDITABLE_FIELDS,
    FIELD_LABELS,
    TYPE_LABELS,
    Conflict,
    EditorError,
    NotFound,
    ValidationFailed,
)
from bot.retrieval.index import current_build_id
from bot.staff.accounts import StaffSession
from bot.staff.web import render, require_role

router = APIRouter(prefix="/staff", include_in_schema=False)
editor_role = require_role("editor")
MAX_QUESTION_CHARS = 1000
BODY_TEMPLATE = "## Mitä palvelu on\n\n\n## Kenelle\n\n\n## Miten pääset palveluun\n\n"
GAP_PERIODS = (30, 90, 365)
REINDEX_TEXTS = {
    "idle": "",
    "queued": "Hakemiston päivitys odottaa vuoroaan. Botti vastaa vielä edellisillä tiedoilla.",
    "running": "Hakemistoa päivitetään. Botti vastaa vielä edellisillä tiedoilla.",
    "done": "Hakemisto päivitetty ({build}). Botti vastaa nyt uusilla tiedoilla.",
    "failed": "Hakemiston päivitys epäonnistui: {message} Botti vastaa edellisillä tiedoilla.",
}


def _editor(request: Request):
    return request.app.state.services.kb_editor


def reindex_view(request: Request) -> dict:
    services = request.app.state.services
    status = services.kb_editor.reindexer.status() if services.kb_editor.reindexer else {"state": "idle"}
    text = REINDEX_TEXTS.get(status["state"], "").format(build=status.get("build_id") or "",
                                                         message=status.get("message") or "")
    return {**status, "text": text, "serving": services.retriever.build_id,
            "current": current_build_id(services.settings.index_dir)}


def _choices(request: Request, docs=None) -> dict:
    editor = _editor(request)
    docs = docs if docs is not None else editor.documents()[0]
    return {"type_labels": TYPE_LABELS, "answer_types": [t for t in TYPE_LABELS if t in ANSWER_TYPES],
            "municipalities": MUNICIPALITIES, "labels": FIELD_LABELS, "catalogue": editor.catalogue(),
            "doc_ids": sorted(d.id for d in docs), "card_labels": json.dumps(CARD_LABELS, ensure_ascii=False),
            "stale_after_days": editor.stale_after_days}


async def _form(request: Request) -> tuple[dict, str]:
    form = await request.form()
    fields = {key: str(form.get(key, "")) for key in EDITABLE_FIELDS if key in form and key != "municipalities"}
    fields["municipalities"] = [str(m) for m in form.getlist("municipalities")]
    return fields, str(form.get("body", ""))


# --- list, staleness ---------------------------------------------------------------------------------
@router.get("/kb")
async def documents(request: Request, q: str = "", type: str = "", municipality: str = "", catalogue: str = "",
                    staleness: str = "", status: str = "active", session: StaffSession = Depends(editor_role)):
    from bot.kb.validate import validate_knowledge_base

    editor = _editor(request)
    docs, problems = await asyncio.to_thread(validate_knowledge_base, editor.root)
    rows = editor.list(q.strip()[:200], type or None, municipality or None, catalogue or None, staleness or None,
                       status or None, docs=docs)
    filters = {"q": q, "type": type, "municipality": municipality, "catalogue": catalogue, "staleness": staleness,
               "status": status}
    return render(request, "kb_list.html", rows=rows, filters=filters, problems=problems,
                  stale_count=len(editor.stale(docs)), reindex=reindex_view(request), **_choices(request, docs))


@router.get("/kb/stale")
async def stale_report(request: Request, session: StaffSession = Depends(editor_role)):
    editor = _editor(request)
    return render(request, "kb_stale.html", rows=await asyncio.to_thread(editor.stale),
                  before=editor.stale_before(), reindex=reindex_view(request), **_choices(request))


# --- one document ------------------------------------------------------------------------------------
def _edit_page(request: Request, doc_id: str, status_code: int = 200, fields: dict | None = None,
               body: str | None = None, problems=None, message: str | None = None, error: str | None = None,
               base_hash: str | None = None):
    editor = _editor(request)
    try:
        loaded = editor.load(doc_id)
    except NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from missing
    row = editor.row(loaded.doc) if loaded.doc is not None else None
    return render(request, "kb_edit.html", status_code=status_code, mode="edit", loaded=loaded, doc_id=doc_id, row=row,
                  fields=fields if fields is not None else loaded.fields,
                  body=body if body is not None else (loaded.doc.body if loaded.doc else ""),
                  base_hash=base_hash or loaded.base_hash, errors=_errors(problems), problems=problems or [],
                  message=message, error=error, history=editor.history(doc_id, limit=5),
                  reindex=reindex_view(request), **_choices(request))


def _errors(problems) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for problem in problems or []:
        grouped.setdefault(problem.field, []).append(problem.message)
    return grouped


@router.get("/kb/doc/{doc_id}")
async def edit_form(request: Request, doc_id: str, saved: int | None = None,
                    session: StaffSession = Depends(editor_role)):
    message = "Tallennettu. Hakemisto päivittyy taustalla." if saved else None
    return await asyncio.to_thread(_edit_page, request, doc_id, 200, message=message)


@router.post("/kb/doc/{doc_id}")
async def save(request: Request, doc_id: str, session: StaffSession = Depends(editor_role)):
    fields, body = await _form(request)
    base_hash = str((await request.form()).get("base_hash", "")) or None
    editor = _editor(request)
    try:
        result = await asyncio.to_thread(editor.save, doc_id, fields, body, session.user.username, base_hash)
    except NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from missing
    except ValidationFailed as failed:
        return await asyncio.to_thread(_edit_page, request, doc_id, 422, fields, body, failed.problems,
                                       error=str(failed), base_hash=base_hash)
    except Conflict as conflict:
        return await asyncio.to_thread(_edit_page, request, doc_id, 409, fields, body, error=str(conflict),
                                       base_hash=base_hash)
    except EditorError as problem:
        return await asyncio.to_thread(_edit_page, request, doc_id, 400, fields, body, error=str(problem),
                                       base_hash=base_hash)
    if not result.changed:
        return await asyncio.to_thread(_edit_page, request, doc_id, 200, message="Ei muutoksia tallennettavaksi.")
    return RedirectResponse(f"/staff/kb/doc/{result.doc_id}?saved={result.revision_id}", status_code=303)


async def _action(request: Request, doc_id: str, method, done: str):
    try:
        result = await asyncio.to_thread(method, doc_id, request.state.staff.user.username)
    except NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from missing
    except ValidationFailed as failed:
        return await asyncio.to_thread(_edit_page, request, doc_id, 422, problems=failed.problems, error=str(failed))
    except EditorError as problem:
        return await asyncio.to_thread(_edit_page, request, doc_id, 400, error=str(problem))
    return RedirectResponse(f"/staff/kb/doc/{doc_id}?saved={result.revision_id or 0}&done={done}", status_code=303)


@router.post("/kb/doc/{doc_id}/retire")
async def retire(request: Request, doc_id: str, session: StaffSession = Depends(editor_role)):
    return await _action(request, doc_id, _editor(request).retire, "retire")


@router.post("/kb/doc/{doc_id}/reviewed")
async def reviewed(request: Request, doc_id: str, session: StaffSession = Depends(editor_role)):
    form = await request.form()
    response = await _action(request, doc_id, _editor(request).mark_reviewed, "review")
    if form.get("back") == "stale" and response.status_code == 303:
        return RedirectResponse("/staff/kb/stale", status_code=303)
    return response


# --- create ------------------------------------------------------------------------------------------
def _create_page(request: Request, doc_type: str, status_code: int = 200, fields: dict | None = None,
                 body: str | None = None, doc_id: str = "", problems=None, error: str | None = None):
    return render(request, "kb_edit.html", status_code=status_code, mode="create", loaded=None, row=None,
                  doc_type=doc_type if doc_type in ANSWER_TYPES else "service", doc_id=doc_id,
                  fields=fields or {"municipalities": [], "status": "active",
                                    "updated": _editor(request).today().isoformat()},
                  body=BODY_TEMPLATE if body is None else body, base_hash="", errors=_errors(problems),
                  problems=problems or [], message=None, error=error, history=[], reindex=reindex_view(request),
                  **_choices(request))


@router.get("/kb/new")
async def create_form(request: Request, type: str = "service", title: str = "",
                      session: StaffSession = Depends(editor_role)):
    fields = {"municipalities": [], "status": "active", "updated": _editor(request).today().isoformat(),
              "title": title.strip()[:200]}  # from the knowledge-gap list: the topic as a draft title
    return _create_page(request, type, fields=fields)


@router.post("/kb/new")
async def create(request: Request, session: StaffSession = Depends(editor_role)):
    fields, body = await _form(request)
    form = await request.form()
    doc_type, doc_id = str(form.get("type", "")), str(form.get("id", "")).strip()
    fields.pop("status", None)
    try:
        result = await asyncio.to_thread(_editor(request).create, doc_type, fields, body, session.user.username,
                                         doc_id or None)
    except ValidationFailed as failed:
        return _create_page(request, doc_type, 422, fields, body, doc_id, failed.problems, str(failed))
    except EditorError as problem:
        return _create_page(request, doc_type, 400, fields, body, doc_id, error=str(problem))
    return RedirectResponse(f"/staff/kb/doc/{result.doc_id}?saved={result.revision_id}", status_code=303)


# --- history -----------------------------------------------------------------------------------------
@router.get("/kb/doc/{doc_id}/history")
async def history(request: Request, doc_id: str, session: StaffSession = Depends(editor_role)):
    editor = _editor(request)
    try:
        loaded = await asyncio.to_thread(editor.load, doc_id)
    except NotFound:
        loaded = None  # a document removed outside the editor still has its history
    revisions = await asyncio.to_thread(editor.history, doc_id)
    if loaded is None and not revisions:
        raise HTTPException(status_code=404, detail=f"Dokumenttia {doc_id} ei ole.")
    return render(request, "kb_history.html", doc_id=doc_id, row=editor.row(loaded.doc) if loaded and loaded.doc else None,
                  revisions=revisions, reindex=reindex_view(request))


@router.post("/kb/revisions/{revision_id}/revert")
async def revert(request: Request, revision_id: int, session: StaffSession = Depends(editor_role)):
    editor = _editor(request)
    try:
        revision = await asyncio.to_thread(editor.revision, revision_id)
        result = await asyncio.to_thread(editor.revert, revision_id, session.user.username)
    except NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from missing
    except ValidationFailed as failed:
        return render(request, "kb_history.html", status_code=422, doc_id=revision["doc_id"], row=None,
                      revisions=await asyncio.to_thread(editor.history, revision["doc_id"]),
                      error=f"{failed} " + " ".join(p.message for p in failed.problems), reindex=reindex_view(request))
    except EditorError as problem:
        return render(request, "kb_history.html", status_code=400, doc_id=revision["doc_id"], row=None,
                      revisions=await asyncio.to_thread(editor.history, revision["doc_id"]), error=str(problem),
                      reindex=reindex_view(request))
    return RedirectResponse(f"/staff/kb/doc/{result.doc_id}?saved={result.revision_id or 0}&done=revert",
                            status_code=303)


# --- knowledge gaps ----------------------------------------------------------------------------------
def _ids(raw: str) -> list[int]:
    try:
        ids = [int(part) for part in raw.replace(",", " ").split()]
    except ValueError as error:
        raise HTTPException(status_code=422, detail="ids: numeroita pilkuin eroteltuina") from error
    return ids[:200]


@router.get("/kb/gaps")
async def gaps(request: Request, days: int = 90, session: StaffSession = Depends(editor_role)):
    days = days if days in GAP_PERIODS else 90
    found = await asyncio.to_thread(_editor(request).gaps, days)
    return render(request, "kb_gaps.html", gaps=found, days=days, periods=GAP_PERIODS, reindex=reindex_view(request))


@router.get("/kb/gaps/questions")
async def gap_questions(request: Request, ids: str = "", doc_id: str = "", topic: str = "",
                        session: StaffSession = Depends(editor_role)):
    rows = await asyncio.to_thread(_editor(request).gap_questions, _ids(ids))
    return render(request, "kb_gap_questions.html", rows=rows, ids=ids, doc_id=doc_id, topic=topic,
                  municipalities=MUNICIPALITIES, reindex=reindex_view(request))


@router.post("/kb/gaps/done")
async def gaps_done(request: Request, session: StaffSession = Depends(editor_role)):
    form = await request.form()
    await asyncio.to_thread(_editor(request).mark_gaps_done, _ids(str(form.get("ids", ""))), session.user.username)
    days = str(form.get("days", "90"))
    return RedirectResponse(f"/staff/kb/gaps?days={days if days.isdigit() else 90}", status_code=303)


# --- JSON for kb.js ------------------------------------------------------------------------------------
@router.get("/api/kb/reindex")
async def reindex_status(request: Request, session: StaffSession = Depends(editor_role)) -> dict:
    return reindex_view(request)


def _test_question(request: Request, question: str, municipality: str | None) -> dict:
    services = request.app.state.services
    settings = services.settings
    result = services.retriever.search(question, municipality=municipality, k=10)
    reply = reply_to_service_question(result, services.texts, "fi", 0, settings.answer_threshold,
                                      settings.clarify_threshold)
    if reply.decision == "answer":
        decision, label = "answer", f"Botti vastaa kortilla: {reply.sources[0]['title']}"
    elif reply.sources:
        decision = "clarify"
        label = ("Botti kysyy kuntaa" if reply.reason == "municipality_unknown" else "Botti tarjoaa vaihtoehtoja") + \
            ": " + ", ".join(s["title"] for s in reply.sources)
    else:
        decision, label = "fallback", "Botti ei löydä vastausta: se pyytää muotoilemaan kysymyksen uudelleen."
    return {"query": result.query, "municipality": result.municipality, "build_id": result.build_id,
            "confidence": result.confidence, "decision": decision, "reason": reply.reason, "label": label,
            "thresholds": {"answer": settings.answer_threshold, "clarify": settings.clarify_threshold},
            "hits": [{"rank": rank, "doc_id": hit.doc_id, "title": hit.card.get("title", ""),
                      "type": TYPE_LABELS.get(hit.card.get("type", ""), ""), "score": hit.score, "dense": hit.dense}
                     for rank, hit in enumerate(result.hits, start=1)]}


@router.get("/api/kb/test")
async def test_question(request: Request, q: str = "", municipality: str = "",
                        session: StaffSession = Depends(editor_role)) -> dict:
    question = q.strip()
    if not question:
        raise HTTPException(status_code=422, detail="kirjoita kysymys (q)")
    if len(question) > MAX_QUESTION_CHARS:
        raise HTTPException(status_code=422, detail=f"kysymys on yli {MAX_QUESTION_CHARS} merkkiä")
    if municipality and municipality not in MUNICIPALITIES:
        raise HTTPException(status_code=422, detail="tuntematon kunta")
    try:
        return await asyncio.to_thread(_test_question, request, question, municipality or None)
    except FileNotFoundError as error:
        raise HTTPException(status_code=503, detail="hakemistoa ei ole vielä rakennettu") from error
