"""The editor workspace through the real app, on a copy of the knowledge base (the real files never change).

Re-indexing is replaced by a recorder in most tests; the slow tests at the end build a real
index (only changed documents are re-embedded) and watch the live retriever switch to it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from bot.api.app import create_app
from bot.kb.documents import load_documents, parse_file
from bot.kb.frontmatter import render_front_matter
from bot.kb.validate import validate_knowledge_base
from bot.retrieval.index import chunk_document
from bot.settings import PROJECT_ROOT, Settings
from tests.api.staff_helpers import csrf_from, make_user, session_csrf, sign_in
from tests.conftest import free_port

DOC = "ateriapalvelu"
DOC_PATH = Path("services") / f"{DOC}.md"
TODAY = dt.date(2027, 1, 15)


class RecordingReindexer:
    """Stands in for the background re-index: counts requests, reports a status."""

    def __init__(self) -> None:
        self.requests = 0

    def request(self) -> None:
        self.requests += 1

    def status(self) -> dict:
        return {"state": "queued" if self.requests else "idle", "build_id": None, "message": "", "pending": False}


@pytest.fixture
def kb_settings(tmp_path: Path) -> Settings:
    shutil.copytree(PROJECT_ROOT / "knowledge", tmp_path / "knowledge")
    return Settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path / "knowledge", index_dir=tmp_path / "index",
                    rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_s=2.0)


@pytest.fixture
def app(kb_settings):
    return create_app(kb_settings, warm_up=False)


@pytest.fixture
def editor_client(app):
    with TestClient(app) as client:
        make_user(app, "eero", "editor")
        make_user(app, "anna", "advisor")
        make_user(app, "ylla", "admin")
        kb_editor = app.state.services.kb_editor
        kb_editor.reindexer = RecordingReindexer()
        kb_editor.today = lambda: TODAY
        sign_in(client, "eero")
        yield client


def form_of(client, doc_id: str = DOC) -> dict:
    """The edit form as the browser would submit it."""
    page = client.get(f"/staff/kb/doc/{doc_id}")
    assert page.status_code == 200, page.text
    html = page.text
    data: dict = {"csrf_token": csrf_from(html),
                  "base_hash": re.search(r'name="base_hash" value="([^"]*)"', html).group(1)}
    for name, value in re.findall(r'<input id="f-\w+" name="(\w+)" type="[^"]+" value="([^"]*)"', html):
        data[name] = _unescape(value)
    for name, value in re.findall(r'<textarea id="f-\w+" name="(\w+)"[^>]*>\n?(.*?)</textarea>', html, flags=re.S):
        data[name] = _unescape(value)
    data["municipalities"] = re.findall(r'name="municipalities" value="(\w+)" checked', html)
    data["status"] = "retired" if re.search(r'<option value="retired" selected', html) else "active"
    return data


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def file_text(settings: Settings, relative: Path = DOC_PATH) -> str:
    return (settings.knowledge_dir / relative).read_text(encoding="utf-8")


# --- roles and CSRF --------------------------------------------------------------------------------
def test_only_editors_and_admins_reach_the_editor(app, editor_client, kb_settings):
    assert editor_client.get("/staff/kb").status_code == 200
    advisor = TestClient(app)
    sign_in(advisor, "anna")
    assert advisor.get("/staff/kb").status_code == 403
    assert advisor.get(f"/staff/kb/doc/{DOC}").status_code == 403
    api = advisor.get("/staff/api/kb/test?q=hammaslääkäri")
    assert api.status_code == 403 and api.json()["error"] == "forbidden"
    csrf = session_csrf(advisor, "/staff/handoff")
    before = file_text(kb_settings)
    refused = advisor.post(f"/staff/kb/doc/{DOC}/retire", data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403 and file_text(kb_settings) == before
    nobody = TestClient(app)
    assert nobody.get("/staff/kb").status_code == 401
    assert nobody.get("/staff/api/kb/reindex").json()["error"] == "not_signed_in"
    admin = TestClient(app)
    sign_in(admin, "ylla")
    assert admin.get("/staff/kb/stale").status_code == 200


def test_a_save_without_the_csrf_token_is_refused(editor_client, kb_settings):
    before = file_text(kb_settings)
    data = form_of(editor_client)
    data["summary"] = "Muutettu ilman tunnistetta."
    data.pop("csrf_token")
    response = editor_client.post(f"/staff/kb/doc/{DOC}", data=data, follow_redirects=False)
    assert response.status_code == 403
    data["csrf_token"] = "väärä"
    assert editor_client.post(f"/staff/kb/doc/{DOC}", data=data, follow_redirects=False).status_code == 403
    assert file_text(kb_settings) == before


# --- save, validate, history, revert ---------------------------------------------------------------
def test_an_unchanged_form_writes_nothing(editor_client, kb_settings, app):
    before = file_text(kb_settings)
    response = editor_client.post(f"/staff/kb/doc/{DOC}", data=form_of(editor_client))
    assert response.status_code == 200 and "Ei muutoksia" in response.text
    assert file_text(kb_settings) == before
    assert app.state.services.kb_editor.reindexer.requests == 0


def test_a_valid_save_changes_only_the_edited_lines_records_who_and_reindexes(editor_client, kb_settings, app):
    before = file_text(kb_settings).split("\n")
    data = form_of(editor_client)
    data["keywords"] += ", saunapalvelu, saunotusapu"
    response = editor_client.post(f"/staff/kb/doc/{DOC}", data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith(f"/staff/kb/doc/{DOC}?saved=")
    after = file_text(kb_settings).split("\n")
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert len(before) == len(after) and len(changed) == 1
    assert changed[0][1].startswith("keywords: [ateriapalvelu,") and changed[0][1].endswith("saunapalvelu, saunotusapu]")
    _docs, problems = validate_knowledge_base(kb_settings.knowledge_dir)
    assert problems == []
    assert app.state.services.kb_editor.reindexer.requests == 1
    history = editor_client.get(f"/staff/kb/doc/{DOC}/history").text
    assert "eero" in history and "muokattu" in history
    assert "+keywords: [ateriapalvelu" in _unescape(history) and "-keywords: [ateriapalvelu" in _unescape(history)


def test_resident_questions_are_edited_one_per_line_and_may_contain_commas(editor_client, kb_settings):
    data = form_of(editor_client)
    existing = [q for q in data["questions"].splitlines() if q.strip()]
    assert existing, "the test document should already have resident questions"
    data["questions"] = "\n".join([*existing[1:], "  ", "saako ruokaa kotiin, jos ei itse jaksa laittaa?"])
    response = editor_client.post(f"/staff/kb/doc/{DOC}", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    docs, problems = validate_knowledge_base(kb_settings.knowledge_dir)
    assert problems == []
    saved = next(d for d in docs if d.id == DOC)
    assert saved.questions == [*existing[1:], "saako ruokaa kotiin, jos ei itse jaksa laittaa?"]
    assert form_of(editor_client)["questions"].splitlines() == saved.questions


def test_an_age_range_is_written_after_the_audience_and_removed_when_emptied(editor_client, kb_settings):
    data = form_of(editor_client)
    assert data["ages"] == ""
    data["ages"] = "70 –"
    assert editor_client.post(f"/staff/kb/doc/{DOC}", data=data, follow_redirects=False).status_code == 303
    lines = file_text(kb_settings).split("\n")
    assert lines[lines.index("ages: [70]") - 1].startswith("audience:")
    data = form_of(editor_client)
    assert data["ages"] == "70–"
    data["ages"] = ""
    assert editor_client.post(f"/staff/kb/doc/{DOC}", data=data, follow_redirects=False).status_code == 303
    assert "ages:" not in file_text(kb_settings)


def test_an_unreadable_age_range_is_shown_at_its_field(editor_client, kb_settings):
    before = (kb_settings.knowledge_dir / DOC_PATH).read_bytes()
    data = form_of(editor_client)
    data["ages"] = "yli seitkytä"
    response = editor_client.post(f"/staff/kb/doc/{DOC}", data=data)
    assert response.status_code == 422
    assert re.search(r'<span class="error" id="err-ages">[^<]*muodossa 13–17 tai 18–', _unescape(response.text))
    assert (kb_settings.knowledge_dir / DOC_PATH).read_bytes() == before


def test_an_invalid_save_shows_every_error_at_its_field_and_leaves_the_file(editor_client, kb_settings, app):
    before = (kb_settings.knowledge_dir / DOC_PATH).read_bytes()
    data = form_of(editor_client)
    data.update(url="http://example.org/", related="kotihoito, ei-ole-olemassa", updated="2026-13-45",
                municipalities=["Kajaani", "Oulu"], body="")
    response = editor_client.post(f"/staff/kb/doc/{DOC}", data=data)
    assert response.status_code == 422
    page = _unescape(response.text)
    assert 'role="alert"' in page
    for field, message in (("url", "Osoitteen pitää alkaa https://"),
                           ("related", "Liittyvää dokumenttia ei-ole-olemassa ei ole."),
                           ("updated", "VVVV-KK-PP"),
                           ("municipalities", "Tuntematon kunta: Oulu."),
                           ("body", "Teksti puuttuu")):
        assert re.search(rf'<span class="error" id="err-{field}">[^<]*{re.escape(message)}', page), field
    assert re.search(r'id="f-url"[^>]*aria-invalid="true"', page, flags=re.S)
    assert 'value="http://example.org/"' in page  # the editor's input is kept for correcting
    assert (kb_settings.knowledge_dir / DOC_PATH).read_bytes() == before
    assert app.state.services.kb_editor.reindexer.requests == 0
    assert not list((kb_settings.knowledge_dir / "services").glob(".*.tmp"))


def test_a_save_over_someone_elses_newer_save_is_refused(editor_client, kb_settings):
    stale_form = form_of(editor_client)
    first = dict(stale_form, summary=stale_form["summary"] + " Ensimmäinen muutos.")
    assert editor_client.post(f"/staff/kb/doc/{DOC}", data=first, follow_redirects=False).status_code == 303
    saved = file_text(kb_settings)
    second = dict(stale_form, summary="Toinen muutos vanhan version päälle.")
    response = editor_client.post(f"/staff/kb/doc/{DOC}", data=second)
    assert response.status_code == 409 and "sillä välin" in response.text
    assert file_text(kb_settings) == saved


def test_revert_writes_back_the_earlier_text_as_a_new_revision(editor_client, kb_settings, app):
    original = file_text(kb_settings)
    data = form_of(editor_client)
    data["title"] = "Ateriapalvelu ja kauppakassipalvelu"
    editor_client.post(f"/staff/kb/doc/{DOC}", data=data)
    assert "kauppakassipalvelu" in file_text(kb_settings)
    history = editor_client.get(f"/staff/kb/doc/{DOC}/history").text
    revision = int(re.search(r'action="/staff/kb/revisions/(\d+)/revert"', history).group(1))
    response = editor_client.post(f"/staff/kb/revisions/{revision}/revert", data={"csrf_token": csrf_from(history)},
                                  follow_redirects=False)
    assert response.status_code == 303
    assert file_text(kb_settings) == original
    history = editor_client.get(f"/staff/kb/doc/{DOC}/history").text
    assert "palautettu" in history and f"(muutos #{revision})" in history
    assert app.state.services.kb_editor.reindexer.requests == 2
    missing = editor_client.post("/staff/kb/revisions/99999/revert", data={"csrf_token": csrf_from(history)})
    assert missing.status_code == 404


def test_retire_keeps_the_file_but_takes_the_document_out_of_use(editor_client, kb_settings):
    csrf = csrf_from(editor_client.get(f"/staff/kb/doc/{DOC}").text)
    response = editor_client.post(f"/staff/kb/doc/{DOC}/retire", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    text = file_text(kb_settings)
    assert "\nstatus: retired\n" in text and "id: ateriapalvelu" in text
    assert parse_file(kb_settings.knowledge_dir / DOC_PATH).active is False
    assert f"/staff/kb/doc/{DOC}\"" not in editor_client.get("/staff/kb").text
    assert f"/staff/kb/doc/{DOC}\"" in editor_client.get("/staff/kb?status=retired").text
    # and back into use from the form: the status line goes away again
    data = form_of(editor_client)
    assert data["status"] == "retired"
    editor_client.post(f"/staff/kb/doc/{DOC}", data=dict(data, status="active"))
    assert "status:" not in file_text(kb_settings)


def test_create_writes_a_valid_file_in_the_type_folder(editor_client, kb_settings):
    csrf = csrf_from(editor_client.get("/staff/kb/new").text)
    data = {"csrf_token": csrf, "type": "service", "id": "", "title": "Saunapalvelu ikäihmisille",
            "summary": "Saunapalvelussa pääset saunomaan avustettuna.", "audience": "ikäihmiset",
            "how_to_access": "Kysy ikäihmisten asiakasohjauksesta.", "url": "https://hyvinvointialue.kainuu.fi/",
            "keywords": "saunapalvelu, saunotus", "catalogue": "", "related": "ikaihmisten-asiakasohjaus",
            "municipalities": ["Kuhmo"], "updated": "2027-01-15", "body": "## Mitä palvelu on\nAvustettu saunominen."}
    response = editor_client.post("/staff/kb/new", data=data, follow_redirects=False)
    assert response.status_code == 303
    path = kb_settings.knowledge_dir / "services" / "saunapalvelu-ikaihmisille.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\nid: saunapalvelu-ikaihmisille\ntitle: Saunapalvelu ikäihmisille\ntype: service\n")
    assert "municipalities: [Kuhmo]" in text and "catalogue: []" in text
    assert validate_knowledge_base(kb_settings.knowledge_dir)[1] == []
    again = editor_client.post("/staff/kb/new", data=data)
    assert again.status_code == 422 and "on jo käytössä" in again.text
    bad = editor_client.post("/staff/kb/new", data=dict(data, id="Ei Kelpaa!"))
    assert bad.status_code == 422 and 'id="err-id"' in bad.text


def test_approved_texts_are_read_only_here(editor_client, kb_settings):
    relative = Path("approved") / "safety-emergency.md"
    before = file_text(kb_settings, relative)
    page = editor_client.get("/staff/kb/doc/safety-emergency")
    assert page.status_code == 200 and 'id="kb-form"' not in page.text
    response = editor_client.post("/staff/kb/doc/safety-emergency",
                                  data={"csrf_token": csrf_from(page.text), "title": "Muutettu"})
    assert response.status_code == 400 and "Hyväksyttyjä tekstejä ei muokata" in response.text
    assert file_text(kb_settings, relative) == before


def test_unknown_documents_and_bad_ids_answer_404(editor_client):
    assert editor_client.get("/staff/kb/doc/ei-ole").status_code == 404
    assert editor_client.get("/staff/kb/doc/..%2F..%2Fetc").status_code == 404


# --- list, filters, staleness ------------------------------------------------------------------------
def doc_links(html: str) -> set[str]:
    return set(re.findall(r'<th scope="row"><a href="/staff/kb/doc/([a-z0-9-]+)"', html))


def test_list_filters_by_search_type_municipality_catalogue_and_staleness(editor_client, app):
    everything = doc_links(editor_client.get("/staff/kb?status=").text)
    assert len(everything) >= 140
    assert doc_links(editor_client.get("/staff/kb?q=hammas+särky").text) >= {"kiireellinen-hammashoito"}
    pathways = doc_links(editor_client.get("/staff/kb?type=care_pathway").text)
    assert pathways and all(d in everything for d in pathways) and "hammashoito" not in pathways
    kuhmo = doc_links(editor_client.get("/staff/kb?municipality=Kuhmo").text)
    assert "terveysasema-kuhmo" in kuhmo and "terveysasema-kajaani" not in kuhmo and "hammashoito" not in kuhmo
    assert "hammashoito" in doc_links(editor_client.get("/staff/kb?catalogue=d1").text)
    assert doc_links(editor_client.get("/staff/kb?staleness=stale").text) == set()  # TODAY: all reviewed 2026-11-25
    app.state.services.kb_editor.today = lambda: dt.date(2028, 1, 1)
    assert len(doc_links(editor_client.get("/staff/kb?staleness=stale").text)) >= 120


def test_stale_documents_are_reported_and_mark_reviewed_clears_them(editor_client, kb_settings, app):
    kb_editor = app.state.services.kb_editor
    kb_editor.stale_after_days = 30
    kb_editor.today = lambda: dt.date(2027, 3, 1)
    report = editor_client.get("/staff/kb/stale").text
    assert f"/staff/kb/doc/{DOC}\"" in report and "ennen 2027-01-30" in report
    response = editor_client.post(f"/staff/kb/doc/{DOC}/reviewed", data={"csrf_token": csrf_from(report), "back": "stale"},
                                  follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/kb/stale"
    assert "\nupdated: 2027-03-01\n" in file_text(kb_settings)
    assert f"/staff/kb/doc/{DOC}\"" not in editor_client.get("/staff/kb/stale").text
    assert "merkitty tarkistetuksi" in editor_client.get(f"/staff/kb/doc/{DOC}/history").text


def test_the_staleness_period_is_a_setting():
    assert Settings().kb_stale_after_days == 365
    assert Settings(kb_stale_after_days=180).kb_stale_after_days == 180


# --- knowledge gaps ------------------------------------------------------------------------------------
def add_event(engine, text: str, reason: str = "no_match", top_doc: str | None = None, feedback: int | None = None) -> int:
    from bot.db.tables import events

    now = time.time()
    day = dt.date.today()
    with engine.begin() as db:
        return db.execute(insert(events).values(
            ts=now, conversation="c" * 16, channel="web", lang="fi", decision="fallback", reason=reason,
            text_redacted=text, day=day, week=day - dt.timedelta(days=day.weekday()), hour=10, weekday=day.weekday(),
            unresolved=1 if reason == "no_match" else 0, top_doc=top_doc, feedback=feedback)).inserted_primary_key[0]


def test_knowledge_gaps_are_a_todo_list_linked_to_their_questions(editor_client, app):
    engine = app.state.services.engine
    app.state.services.kb_editor.today = dt.date.today
    ids = [add_event(engine, "Onko saunapalvelua vanhuksille?"), add_event(engine, "Saako kotiin saunotusapua?")]
    page = editor_client.get("/staff/kb/gaps")
    assert page.status_code == 200
    assert "Onko saunapalvelua vanhuksille?" in page.text and "Ei vastaavaa dokumenttia" in page.text
    link = re.search(r'href="(/staff/kb/gaps/questions\?ids=[^"]+)"', page.text).group(1)
    questions = editor_client.get(_unescape(link))
    assert questions.status_code == 200
    assert all(f'id="event-{i}"' in questions.text for i in ids)
    assert 'data-question="Saako kotiin saunotusapua?"' in questions.text
    done = editor_client.post("/staff/kb/gaps/done", data={"csrf_token": csrf_from(page.text),
                                                           "ids": ",".join(map(str, ids)), "days": "90"},
                              follow_redirects=False)
    assert done.status_code == 303
    assert "Onko saunapalvelua vanhuksille?" not in editor_client.get("/staff/kb/gaps").text
    assert editor_client.get("/staff/kb/gaps/questions?ids=1,x").status_code == 422


# --- test this question: input checks -------------------------------------------------------------------
def test_the_question_test_rejects_bad_input_clearly(editor_client):
    empty = editor_client.get("/staff/api/kb/test?q=%20")
    assert empty.status_code == 422 and empty.json()["error"] == "invalid_request"
    assert editor_client.get("/staff/api/kb/test?q=" + "a" * 1001).status_code == 422
    assert editor_client.get("/staff/api/kb/test?q=hammas&municipality=Oulu").status_code == 422


# --- the front matter writer -----------------------------------------------------------------------------
def test_front_matter_keeps_unchanged_lines_and_quotes_what_yaml_would_misread():
    original = "id: x\ntitle: Otsikko   # kommentti\nkeywords: [a, b]\nupdated: 2026-11-25"
    meta = {"id": "x", "title": "Otsikko", "keywords": ["a", "b", "yes", "112", "x: y"], "updated": "2026-11-25"}
    text = render_front_matter(original, {"id": "x", "title": "Otsikko", "keywords": ["a", "b"], "updated": "2026-11-25"},
                               meta)
    assert text.split("\n")[1] == "title: Otsikko   # kommentti"
    assert text.split("\n")[2] == 'keywords: [a, b, "yes", "112", "x: y"]'
    assert render_front_matter("", {}, {"updated": "2026-13-45", "id": "y"}) == 'id: y\nupdated: "2026-13-45"'


# --- slow: a real re-index, and the live retriever switching to it ---------------------------------------
@pytest.fixture
def indexed_settings(kb_settings, real_index_dir) -> Settings:
    """The real current build copied, so a re-index embeds only the changed document."""
    build = (real_index_dir / "current").read_text(encoding="utf-8").strip()
    kb_settings.index_dir.mkdir(parents=True)
    shutil.copytree(real_index_dir / build, kb_settings.index_dir / build)
    (kb_settings.index_dir / "current").write_text(build, encoding="utf-8")
    return kb_settings


QUESTION = "Onko saunapalvelua vanhuksille?"


@pytest.mark.slow
def test_a_save_reindexes_in_the_background_and_the_question_test_shows_the_change(indexed_settings):
    app = create_app(indexed_settings, warm_up=False)
    with TestClient(app) as client:
        make_user(app, "eero", "editor")
        sign_in(client, "eero")
        before = client.get("/staff/api/kb/test", params={"q": QUESTION}).json()
        assert before["decision"] != "answer" or before["hits"][0]["doc_id"] != DOC
        data = form_of(client)
        data["keywords"] += ", saunapalvelu, saunotusapu, saunotus kotona"
        data["summary"] += " Ateriapalvelun lisäksi voit kysyä saunapalvelusta."
        data["questions"] += "\n" + QUESTION  # the knowledge-gap workflow: the resident's question under its answer
        assert client.post(f"/staff/kb/doc/{DOC}", data=data, follow_redirects=False).status_code == 303
        status = app.state.services.kb_editor.reindexer.wait(120)
        assert status["state"] == "done", status
        edited = next(d for d in load_documents(indexed_settings.knowledge_dir)[0] if d.id == DOC)
        # only the edited document is embedded again
        assert status["stats"]["embedded_chunks"] == len(chunk_document(edited))
        assert status["stats"]["reused_chunks"] > 900
        view = client.get("/staff/api/kb/reindex").json()
        assert view["serving"] == view["current"] == status["build_id"] != before["build_id"]
        after = client.get("/staff/api/kb/test", params={"q": QUESTION}).json()
        assert after["build_id"] == status["build_id"]
        assert after["hits"][0]["doc_id"] == DOC and after["decision"] == "answer", after
        print(f"\nre-index after one save: {status['stats']}")


@pytest.mark.slow
def test_other_instances_switch_to_a_new_build_without_a_search(indexed_settings, redis_server):
    """A second instance on the same INDEX_DIR: through Redis at once, without it on its next look."""
    from bot.retrieval import notify
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.retriever import RetrieverService

    embedder = Embedder.from_settings(indexed_settings)
    index = indexed_settings.index_dir
    watching = RetrieverService(index, embedder, redis_url=redis_server)
    plain = RetrieverService(index, embedder)
    first = watching.retriever().artifact.build_id
    assert plain.retriever().artifact.build_id == first

    def new_build(name: str) -> None:
        shutil.copytree(index / first, index / name)
        (index / "current.tmp").write_text(name, encoding="utf-8")
        (index / "current.tmp").replace(index / "current")

    new_build("29990101T000000000000Z")
    if redis_server:
        import redis

        client = redis.Redis.from_url(redis_server)
        deadline = time.monotonic() + 5
        while not dict(client.pubsub_numsub(notify.CHANNEL)).get(notify.CHANNEL.encode()) and time.monotonic() < deadline:
            time.sleep(0.02)  # the watcher subscribes right after the first load
        assert notify.publish(redis_server, "29990101T000000000000Z")
        deadline = time.monotonic() + 3
        while watching.build_id != "29990101T000000000000Z" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watching.build_id == "29990101T000000000000Z"
    # without Redis: the next look at the pointer starts a background load; the old index answers meanwhile
    assert plain.retriever().artifact.build_id == first
    deadline = time.monotonic() + 10
    while plain.build_id == first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert plain.build_id == "29990101T000000000000Z"
