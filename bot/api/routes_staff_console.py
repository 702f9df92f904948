"""Staff console pages about failure demand: overview, unresolved inbox, topics, reports and exports.

Thin: each route parses the filters, calls bot.analytics, and renders a template or a download.
"""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from bot.analytics import queries
from bot.analytics.vocabulary import DECISIONS, OUT_OF_SCOPE_KINDS, REASONS
from bot.municipalities import MUNICIPALITIES
from bot.service_hours import HELSINKI
from bot.staff.accounts import StaffSession
from bot.staff.web import render, require_role

router = APIRouter(prefix="/staff", include_in_schema=False)
advisor_role = require_role("advisor")
DEFAULT_DAYS = 30
PAGE_SIZE = 50
LANGUAGES = {"fi": "suomi", "sv": "ruotsi", "en": "englanti"}
_topic_run = {"state": "idle", "message": ""}
_topic_lock = threading.Lock()


def _today() -> date:
    from datetime import datetime

    return datetime.now(HELSINKI).date()


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise HTTPException(status_code=422, detail=f"{name}: päivämäärä muodossa VVVV-KK-PP") from error


def parse_filters(request: Request, default_days: int | None = DEFAULT_DAYS) -> queries.Filters:
    """Filters from the query string; the period defaults to the last 30 days."""
    params = request.query_params
    end = _date(params.get("end"), "end") or (_today() if default_days else None)
    start = _date(params.get("start"), "start") or (end - timedelta(days=default_days - 1) if default_days else None)
    if start and end and start > end:
        raise HTTPException(status_code=422, detail="alkupäivä on loppupäivän jälkeen")
    topic = params.get("topic")
    if topic and not topic.isdigit():
        raise HTTPException(status_code=422, detail="topic: numero")
    return queries.Filters(start=start, end=end, reason=params.get("reason") or None,
                           municipality=params.get("municipality") or None, lang=params.get("lang") or None,
                           topic=int(topic) if topic else None, decision=params.get("decision") or None)


def _choices() -> dict[str, Any]:
    reasons = {code: label for code, label in REASONS.items() if code != "out_of_scope"}
    reasons.update({f"out_of_scope:{kind}": f"Aiheen ulkopuolella: {label}" for kind, label in OUT_OF_SCOPE_KINDS.items()})
    return {"reasons": reasons, "reason_filters": REASONS, "municipalities": MUNICIPALITIES, "languages": LANGUAGES,
            "decisions": DECISIONS}


def _engine(request: Request):
    return request.app.state.services.engine


def _query_string(filters: queries.Filters, **extra) -> str:
    from urllib.parse import urlencode

    values = {"start": filters.start, "end": filters.end, "reason": filters.reason, "municipality": filters.municipality,
              "lang": filters.lang, "topic": filters.topic, "decision": filters.decision, **extra}
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def overview_charts(data: dict) -> list[dict]:
    """The overview's figures as server-side SVG (accessible titles; the numbers are also in tables)."""
    from bot.analytics import charts

    days = data["by_day"]
    figures = []
    if days:
        figures.append({"svg": charts.line_chart(
            [d["day"].strftime("%-d.%-m.") for d in days],
            {"Kysymyksiä": [d["turns"] for d in days], "Ratkaisematta": [d["unresolved"] for d in days]},
            "Kysymykset päivittäin"), "caption": "Kysymykset ja ratkaisemattomat päivittäin."})
    else:
        figures.append({"svg": charts.empty_chart("Kysymykset päivittäin"), "caption": "Ei tapahtumia valitulla jaksolla."})
    figures.append({"svg": charts.heatmap(data["heatmap"], "Kysymykset viikonpäivän ja tunnin mukaan"),
                    "caption": "Tummempi on enemmän (Suomen aikaa)."})
    reasons = [(REASONS.get(r["reason"], r["reason"] or "muu") if not str(r["reason"]).startswith("out_of_scope:")
                else "Rajattu: " + OUT_OF_SCOPE_KINDS.get(r["reason"].split(":", 1)[1], r["reason"]), r["count"])
               for r in data["by_reason"]]
    figures.append({"svg": charts.bar_chart(reasons, "Ratkaisemattomien syyt", width=720, label_width=330) if reasons
                    else charts.empty_chart("Ratkaisemattomien syyt"), "caption": "Miksi botti ei ratkaissut asiaa."})
    places = [(m["municipality"] or "ei mainittu", m["unresolved"]) for m in data["by_municipality"]]
    if places:
        figures.append({"svg": charts.bar_chart(places, "Ratkaisemattomat kunnittain"),
                        "caption": "Kunta, jonka asukas mainitsi viestissään."})
    return figures


@router.get("/")
async def overview(request: Request, session: StaffSession = Depends(advisor_role)):
    filters = parse_filters(request)
    data = await asyncio.to_thread(queries.overview, _engine(request), filters)
    return render(request, "overview.html", data=data, filters=filters, charts=overview_charts(data),
                  query=_query_string(filters), **_choices())


@router.get("/inbox")
async def inbox(request: Request, page: int = 1, session: StaffSession = Depends(advisor_role)):
    filters = parse_filters(request)
    page = max(1, page)
    rows, total = await asyncio.to_thread(queries.unresolved, _engine(request), filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    from bot.analytics.topics import topics as latest_topics

    return render(request, "inbox.html", rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                  filters=filters, query=_query_string(filters), topics=await asyncio.to_thread(latest_topics, _engine(request)),
                  documents=_document_ids(request), intents=_intents(), **_choices())


@router.post("/inbox/{event_id}")
async def annotate(request: Request, event_id: int, session: StaffSession = Depends(advisor_role),
                   reason: str = Form(""), doc_id: str = Form(""), intent: str = Form(""), back: str = Form("")):
    try:
        await asyncio.to_thread(queries.annotate, _engine(request), event_id, reason=reason, doc_id=doc_id.strip(),
                                intent=intent, user=session.user.username)
    except LookupError as error:
        raise HTTPException(status_code=404, detail=str(error)) from error
    except ValueError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    target = back if back.startswith("/staff/inbox") else "/staff/inbox"
    return RedirectResponse(f"{target}#event-{event_id}", status_code=303)


@router.get("/inbox/nlu-examples.yml")
async def nlu_examples(request: Request, session: StaffSession = Depends(advisor_role)):
    text = await asyncio.to_thread(queries.export_nlu_examples, _engine(request), parse_filters(request, None))
    return PlainTextResponse(text, media_type="application/yaml",
                             headers={"Content-Disposition": 'attachment; filename="nlu-examples.yml"'})


@router.get("/inbox/knowledge-gaps.csv")
async def knowledge_gaps_csv(request: Request, session: StaffSession = Depends(advisor_role)):
    gaps = await asyncio.to_thread(queries.knowledge_gaps, _engine(request), parse_filters(request, None))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["doc_id", "topic", "count", "examples", "event_ids"])
    for gap in gaps:
        writer.writerow([gap["doc_id"] or "", gap["topic"] or "", gap["count"], " | ".join(gap["examples"]),
                         " ".join(str(i) for i in gap["event_ids"])])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="knowledge-gaps.csv"'})


@router.get("/topics")
async def topics_page(request: Request, session: StaffSession = Depends(advisor_role)):
    from bot.analytics.topics import topics as latest_topics

    return render(request, "topics.html", topics=await asyncio.to_thread(latest_topics, _engine(request)),
                  run=dict(_topic_run))


@router.post("/topics/run")
async def run_topics(request: Request, session: StaffSession = Depends(advisor_role)):
    """Cluster the unresolved questions of the last 90 days in the background; the page shows progress."""
    services = request.app.state.services

    def work() -> None:
        from bot.analytics.topics import run_topics as cluster
        from bot.retrieval.lemmatizer import Lemmatizer

        try:
            found = cluster(services.engine, services.embedder, Lemmatizer(),
                            queries.Filters(start=_today() - timedelta(days=89)))
            _topic_run.update(state="done", message=f"{len(found)} aihetta")
        except Exception as error:  # shown on the page; the previous topics stay
            _topic_run.update(state="failed", message=f"{type(error).__name__}: {error}")
        finally:
            _topic_lock.release()

    if _topic_lock.acquire(blocking=False):
        _topic_run.update(state="running", message="")
        threading.Thread(target=work, name="topic-run", daemon=True).start()
    return RedirectResponse("/staff/topics", status_code=303)


@router.get("/reports")
async def reports(request: Request, session: StaffSession = Depends(advisor_role)):
    filters = parse_filters(request)
    monday = _today() - timedelta(days=_today().weekday() + 7)
    return render(request, "reports.html", filters=filters, last_monday=monday.isoformat())


@router.get("/reports/events.{fmt}")
async def export_events(request: Request, fmt: str, session: StaffSession = Depends(advisor_role)):
    from bot.analytics import export

    if fmt not in ("csv", "parquet"):
        raise HTTPException(status_code=404, detail="csv tai parquet")
    filters = parse_filters(request, None)

    def build() -> bytes:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"events.{fmt}"
            export.export(_engine(request), path, fmt, filters)
            return path.read_bytes()

    data = await asyncio.to_thread(build)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.apache.parquet"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="events.{fmt}"'})


@router.get("/reports/weekly")
async def weekly_report(request: Request, week: str | None = None, session: StaffSession = Depends(advisor_role)):
    from bot.analytics import report

    start = _date(week, "week") or (_today() - timedelta(days=_today().weekday() + 7))
    html = await asyncio.to_thread(report.weekly_report, _engine(request), start - timedelta(days=start.weekday()))
    # a self-contained document (inline styles, inline SVG, no scripts) meant to be saved and shared
    return Response(html, media_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"})


def _document_ids(request: Request) -> list[str]:
    from bot.kb.documents import load_documents

    docs, _problems = load_documents(request.app.state.settings.knowledge_dir)
    return sorted(d.id for d in docs if d.type != "approved_text")


@lru_cache(maxsize=1)
def _intents() -> list[str]:
    """The intents of domain.yml (read once: the domain changes only with a new Rasa model)."""
    import yaml

    from bot.settings import PROJECT_ROOT

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return sorted(domain.get("intents", []))
