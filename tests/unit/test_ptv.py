"""PTV import: recorded API answers in, valid knowledge documents out; local edits and history are never lost.

No network: the fixtures in tests/data/ptv are answers shaped like the PTV open API v11, served through
httpx.MockTransport so the importer's real HTTP code (paging, retries, errors) runs.
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest

from bot.kb import ptv
from bot.kb.__main__ import main
from bot.kb.documents import Document, parse_file
from bot.kb.validate import validate_knowledge_base
from bot.settings import PROJECT_ROOT, get_settings

FIXTURES = PROJECT_ROOT / "tests" / "data" / "ptv"
ORG = "5a0f3c1e-7b2d-4e8a-9c61-2f4d8b7e1a03"
OTHER_ORG = "c3b1e2d4-0a9f-4b7c-8e6d-5f1a2b3c4d5e"
S = {n: f"0d1a5e6c-3f7b-4a2e-9b8c-1e2f3a4b5c{n:02d}" for n in range(1, 10)}
C9 = "7c2e9a10-5d4b-4f3e-8a21-6b5c4d3e2f09"
API = "https://ptv.test/api/v11/"
REAL_DOCS = ("services/aikuissosiaalityo.md", "emergency/sosiaalipaivystys.md", "digital-channels/omaolo.md")


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A small knowledge folder: the real catalogue and a few real documents (links to others removed)."""
    root = tmp_path / "knowledge"
    (root / "services").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "knowledge" / "catalogue.yml", root / "catalogue.yml")
    for name in REAL_DOCS:
        source = PROJECT_ROOT / "knowledge" / name
        if source.exists():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            text = re.sub(r"(?m)^related:.*$", "related: []", source.read_text(encoding="utf-8"))
            (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """A writable copy of the recorded answers, for tests that change what PTV says."""
    target = tmp_path / "ptv-fixtures"
    shutil.copytree(FIXTURES, target)
    return target


def client(directory: Path = FIXTURES, seen: list | None = None) -> ptv.PtvClient:
    return ptv.PtvClient(API, ptv.fixture_transport(directory, seen), backoff=0)


def import_into(root: Path, directory: Path = FIXTURES, since=None, **kwargs) -> ptv.ImportReport:
    """Plan and write, as the command does (without the state file)."""
    report, _state = ptv.run_import(root, ORG, client(directory), since=since, **kwargs)
    for path, text in report.writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return report


def doc(root: Path, doc_id: str, folder: str = "services") -> Document:
    parsed = parse_file(root / folder / f"{doc_id}.md")
    assert isinstance(parsed, Document), parsed
    return parsed


def load_service(n: int, directory: Path = FIXTURES) -> dict:
    for page in sorted(directory.glob("organization-services.page*.json")):
        for item in json.loads(page.read_text(encoding="utf-8"))["itemList"]:
            if isinstance(item, dict) and item.get("id") == S[n]:
                return item
    raise KeyError(n)


def edit_service(directory: Path, n: int, change) -> None:
    for page in sorted(directory.glob("organization-services.page*.json")):
        data = json.loads(page.read_text(encoding="utf-8"))
        for item in data["itemList"]:
            if isinstance(item, dict) and item.get("id") == S[n]:
                change(item)
        page.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def write_previous_import(root: Path, n: int, name: str, organization: str = ORG) -> Path:
    """A document as an earlier import would have written it, for a service PTV no longer publishes."""
    service = copy.deepcopy(load_service(2))
    service["id"] = S[n]
    service["serviceNames"] = [{"type": "Name", "language": "fi", "value": name}]
    doc_id = "ptv-" + ptv.slugify(name)
    path = root / "services" / f"{doc_id}.md"
    path.write_text(ptv.render_service(service, {}, organization, doc_id).text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- mapping


def test_a_full_service_maps_to_a_document_with_every_field():
    channels = {c["id"]: c for c in json.loads((FIXTURES / "service-channels.json").read_text(encoding="utf-8"))
                if ptv.channel_problem(c) is None}
    text = ptv.render_service(load_service(1), channels, ORG, "ptv-hammashoito").text
    parsed = ptv.parse_text(Path("services/ptv-hammashoito.md"), text.encode("utf-8"))
    meta = parsed.meta
    assert meta["id"] == "ptv-hammashoito" and meta["type"] == "service" and meta["status"] == "active"
    assert (meta["title"], meta["title_sv"], meta["title_en"]) == ("Hammashoito", "Tandvård", "Dental care")
    assert meta["summary"].startswith("Hyvinvointialueen hammashoitolat")
    assert meta["summary_sv"].startswith("Välfärdsområdets") and meta["summary_en"].startswith("The county's")
    assert (meta["source"], meta["ptv_id"], meta["ptv_organization"]) == ("ptv", S[1], ORG)
    assert meta["updated"] == "2024-05-02"  # PTV's modified date
    assert meta["url"] == "https://hyvinvointialue.kainuu.fi/" and meta["municipalities"] == "all"
    assert meta["catalogue"] == [] and "suun terveydenhuolto" in meta["keywords"]
    assert meta["how_to_access"].startswith("Soita arkisin aamulla")
    headings = [heading for heading, _ in parsed.sections()]
    assert headings[:3] == ["Mitä palvelu on", "Kenelle", "Miten pääset palveluun"] and "Asiointikanavat" in headings
    assert "- Soita arkisin aamulla omaan hammashoitolaan." in parsed.body  # PTV bullets become Markdown
    # contacts exactly as PTV gives them
    assert "Puhelin: +358 406514696" in parsed.body
    assert "Aukioloajat: la–su 9.00–10.00" in parsed.body
    assert "Aukioloajat: ma–to 7.30–14.45, pe 7.30–14.15" in parsed.body


def test_service_without_swedish_and_english_gets_only_finnish_fields(kb):
    import_into(kb)
    meta = doc(kb, "ptv-sosiaalipaivystys").meta
    assert not {"title_sv", "title_en", "summary_sv", "summary_en"} & set(meta)
    assert meta["url"] == "https://hyvinvointialue.kainuu.fi/sosiaalipaivystys-0"  # its web page channel
    assert meta["municipalities"] == "all"  # all eight municipalities listed


def test_municipalities_come_from_the_area_names_or_codes_and_url_defaults(kb):
    import_into(kb)
    kuhmo = doc(kb, "ptv-kuhmon-terveysasema").meta
    assert kuhmo["municipalities"] == ["Kuhmo"]
    assert kuhmo["url"] == "https://hyvinvointialue.kainuu.fi/"  # no web page channel
    assert doc(kb, "ptv-perhekeskus-kajaani").meta["municipalities"] == ["Kajaani"]  # code 205 only


def test_personal_looking_email_is_left_out_and_headings_in_ptv_text_are_escaped(kb):
    report = import_into(kb)
    body = doc(kb, "ptv-perhekeskus-kajaani").body
    assert "perhekeskus@example.org" in body and "etunimi.sukunimi" not in body
    assert any("personal-looking" in w and S[7] in w for w in report.warnings)
    headings = [heading for heading, _ in doc(kb, "ptv-perhekeskus-kajaani").sections()]
    assert "\\# Huom" in body and "Huom: ajanvaraus" not in headings


# ------------------------------------------------------------------------------------ paging, filters


def test_every_page_of_the_organisation_is_read(kb):
    seen: list[httpx.Request] = []
    report, _ = ptv.run_import(kb, ORG, client(FIXTURES, seen))
    pages = [r.url.params["page"] for r in seen if r.url.path.endswith("/Service/list/organization")]
    assert pages == ["1", "2", "3"]
    assert all(r.url.params["organizationId"] == ORG for r in seen if r.url.path.endswith("/organization"))
    assert "ptv-perhekeskus-kajaani" in report.created  # the only service on page 3


def test_business_only_service_is_dropped_and_an_earlier_import_of_it_retired(kb):
    earlier = write_previous_import(kb, 3, "Yksityisten sosiaalipalvelujen ilmoitukset")
    report = import_into(kb)
    assert S[3] in report.not_for_residents
    assert not any(p.name.startswith("ptv-yksityisten") and p != earlier for p in (kb / "services").iterdir())
    assert parse_file(earlier).meta["status"] == "retired"
    assert ptv.is_for_residents({"targetGroups": [{"code": "KR1.2"}, {"code": "KR2"}]})
    assert not ptv.is_for_residents({"targetGroups": [{"code": "KR2"}, {"code": "KR2.1"}]})


def test_malformed_items_are_skipped_with_a_warning_naming_them(kb, fixtures):
    page = fixtures / "organization-services.page2.json"
    data = json.loads(page.read_text(encoding="utf-8"))
    data["itemList"] += ["not an object", {"serviceNames": 5}, {**load_service(6), "id": S[9], "modified": 7}]
    page.write_text(json.dumps(data), encoding="utf-8")
    report = import_into(kb, fixtures)
    warnings = "\n".join(report.warnings)
    assert f"{S[4]}: no Finnish name" in warnings
    assert f"{S[5]}: 'serviceDescriptions' is not a list" in warnings
    assert f"{S[9]}: 'modified'" in warnings and "(no id)" in warnings
    assert f"channel {C9}" in warnings
    assert sorted(report.created) == ["ptv-hammashoito", "ptv-kuhmon-terveysasema", "ptv-perhekeskus-kajaani",
                                      "ptv-sosiaalipaivystys"]


# ------------------------------------------------------------------------------- retirement, since


def test_full_import_retires_documents_the_organisation_no_longer_publishes(kb):
    gone = write_previous_import(kb, 9, "Lapsiperheiden kotipalvelu")
    foreign = write_previous_import(kb, 8, "Toisen organisaation palvelu", organization=OTHER_ORG)
    before = parse_file(gone).body
    report = import_into(kb)
    assert any(r.startswith("ptv-lapsiperheiden-kotipalvelu (no longer published") for r in report.retired)
    retired = parse_file(gone)
    assert retired.meta["status"] == "retired" and retired.body == before  # hidden, never deleted
    assert not ptv._is_locally_edited(retired)  # the importer's own change is not a local edit
    assert parse_file(foreign).meta.get("status") == "active"  # another organisation's import is left alone


def test_incremental_import_uses_the_date_filter_and_retires_archived_services(kb):
    archived = write_previous_import(kb, 9, "Lapsiperheiden kotipalvelu")
    assert ptv.command(kb, ORG, API, fixtures=FIXTURES, out=io.StringIO(), err=io.StringIO()) == 0
    assert parse_file(archived).meta["status"] == "retired"  # full import: no longer listed
    text = archived.read_text(encoding="utf-8")
    archived.write_text(text.replace("status: retired", "status: active"), encoding="utf-8")
    state = json.loads((kb / "ptv-state.json").read_text(encoding="utf-8"))
    state["organizations"][ORG]["last_import"] = "2024-06-01T00:00:00Z"
    (kb / "ptv-state.json").write_text(json.dumps(state), encoding="utf-8")

    seen: list[httpx.Request] = []
    org_state = ptv.load_state(kb)["organizations"][ORG]
    since = ptv.parse_since(org_state["last_import"]) - ptv.SINCE_OVERLAP
    report, _ = ptv.run_import(kb, ORG, client(FIXTURES, seen), since=since, state=org_state)
    guid_requests = [(r.url.path.rsplit("/", 1)[-1], r.url.params.get("status"), r.url.params["date"])
                     for r in seen if "date" in r.url.params]
    assert ("Service", None, "2024-05-31T23:45:00") in guid_requests
    expected = {("Service", "Archived"), ("Service", "Withdrawn"), ("ServiceChannel", None)}
    assert expected <= {g[:2] for g in guid_requests}
    assert not any(r.url.path.endswith("/organization") for r in seen)  # no full listing
    fetched = {i for r in seen if r.url.path.endswith("serviceWithGD/list") for i in r.url.params["guids"].split(",")}
    assert fetched == {S[1], S[2], S[6], S[8]}  # changed, plus S1 whose phone channel changed; not S7
    assert report.mode == "incremental" and S[8] in report.other_organization
    assert not any("toisen" in p.name for p in (kb / "services").iterdir())
    assert any(r.startswith("ptv-lapsiperheiden-kotipalvelu (archived") for r in report.retired)


def test_changed_service_updates_its_unedited_document(kb, fixtures):
    import_into(kb, fixtures)
    untouched = (kb / "services" / "ptv-sosiaalipaivystys.md").read_text(encoding="utf-8")

    def new_description(service: dict) -> None:
        for description in service["serviceDescriptions"]:
            if (description["type"], description["language"]) == ("Description", "fi"):
                description["value"] = "Uusi kuvaus terveysasemasta."
        service["modified"] = "2024-06-02T10:00:00Z"

    edit_service(fixtures, 6, new_description)
    report = import_into(kb, fixtures, since=ptv.parse_since("2024-06-01"))
    assert report.updated == ["ptv-kuhmon-terveysasema"] and "ptv-sosiaalipaivystys" in report.unchanged
    updated = doc(kb, "ptv-kuhmon-terveysasema")
    assert "Uusi kuvaus terveysasemasta." in updated.body and updated.meta["updated"] == "2024-06-02"
    assert (kb / "services" / "ptv-sosiaalipaivystys.md").read_text(encoding="utf-8") == untouched


# ------------------------------------------------------------------------------------- local edits


def test_local_edit_survives_reimport_and_the_new_ptv_text_waits_for_review(kb, fixtures):
    import_into(kb, fixtures)
    path = kb / "services" / "ptv-sosiaalipaivystys.md"
    original = path.read_text(encoding="utf-8")
    edited = original.replace("keywords: [sosiaalipäivystys]", "keywords: [sosiaalipäivystys, sossun päivystys]")
    assert edited != original
    edited += "\nToimittajan lisäys.\n"
    path.write_text(edited, encoding="utf-8")

    report = import_into(kb, fixtures)  # PTV unchanged: nothing to review
    assert report.kept_local == ["ptv-sosiaalipaivystys"] and not (kb / "ptv-review").exists()

    edit_service(fixtures, 2, lambda s: s["serviceDescriptions"].append(
        {"type": "UserInstruction", "language": "fi", "value": "Soita heti, jos tilanne on kiireellinen."}))
    report = import_into(kb, fixtures)
    assert report.review == ["ptv-sosiaalipaivystys"]
    assert path.read_text(encoding="utf-8") == edited  # the editor's version is untouched
    review = parse_file(kb / "ptv-review" / "ptv-sosiaalipaivystys.md")
    assert "Soita heti, jos tilanne on kiireellinen." in review.body and "Toimittajan lisäys." not in review.body
    docs, problems = validate_knowledge_base(kb)
    assert problems == [] and sum(d.id == "ptv-sosiaalipaivystys" for d in docs) == 1  # review copy not loaded

    shutil.copy(kb / "ptv-review" / "ptv-sosiaalipaivystys.md", path)  # the editor accepts the PTV version
    edit_service(fixtures, 2, lambda s: s.update(modified="2024-07-01T00:00:00Z"))
    assert import_into(kb, fixtures).updated == ["ptv-sosiaalipaivystys"]  # imported normally again


def test_retiring_an_edited_document_keeps_the_edit(kb, fixtures):
    import_into(kb, fixtures)
    path = kb / "services" / "ptv-sosiaalipaivystys.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nToimittajan lisäys.\n", encoding="utf-8")
    edit_service(fixtures, 2, lambda s: s.update(targetGroups=[{"code": "KR2", "name": []}]))
    report = import_into(kb, fixtures)
    assert report.retired == ["ptv-sosiaalipaivystys (no longer for residents (target groups) in PTV; "
                              "local edits kept)"]
    retired = parse_file(path)
    assert retired.meta["status"] == "retired" and "Toimittajan lisäys." in retired.body


# ---------------------------------------------------------------------------------- validator, CLI


def test_imported_documents_pass_the_knowledge_base_validator(kb):
    import_into(kb)
    docs, problems = validate_knowledge_base(kb)
    assert problems == []
    assert len([d for d in docs if d.meta.get("source") == "ptv"]) == 4


def test_cli_end_to_end_into_a_knowledge_folder(kb, capsys):
    args = ["--dir", str(kb), "import-ptv", "--organization", ORG, "--fixtures", str(FIXTURES)]
    assert main([*args, "--dry-run"]) == 0
    assert "4 new" in capsys.readouterr().out
    assert not list((kb / "services").glob("ptv-*.md")) and not (kb / "ptv-state.json").exists()

    assert main(args) == 0
    out = capsys.readouterr()
    assert "4 new" in out.out and "wrote 4 file(s)" in out.out and S[4] in out.err
    assert len(list((kb / "services").glob("ptv-*.md"))) == 4
    state = json.loads((kb / "ptv-state.json").read_text(encoding="utf-8"))["organizations"][ORG]
    assert state["last_import"] == state["last_full_import"] and state["channels"]

    assert main(args) == 0  # second run: incremental from the state file, nothing changes
    out = capsys.readouterr().out
    assert "incremental" in out and "wrote 0 file(s)" in out
    assert main([*args, "--full"]) == 0 and "PTV import (full)" in capsys.readouterr().out
    assert validate_knowledge_base(kb)[1] == []


def test_cli_rejects_bad_arguments_with_a_message(kb, capsys):
    for bad, message in ((["--organization", "kainuu"], "'kainuu' is not a PTV organisation id"),
                         (["--organization", ORG, "--since", "eilen"], "'eilen' is not a date")):
        with pytest.raises(SystemExit) as exit_info:
            main(["--dir", str(kb), "import-ptv", *bad])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    assert main(["--dir", str(kb / "missing"), "import-ptv", "--organization", ORG, "--fixtures", str(FIXTURES)]) == 1
    (kb / "ptv-state.json").write_text(json.dumps({"organizations": {ORG: {"last_import": "eilen"}}}), encoding="utf-8")
    assert main(["--dir", str(kb), "import-ptv", "--organization", ORG, "--fixtures", str(FIXTURES)]) == 1
    assert "cannot use" in capsys.readouterr().err and not list((kb / "services").glob("ptv-*.md"))


# ------------------------------------------------------------------------------------------ network


def test_network_error_exits_2_and_writes_nothing(kb, monkeypatch, capsys):
    monkeypatch.setenv("PTV_API_URL", "http://127.0.0.1:9/api/v11/")  # nothing listens there
    monkeypatch.setattr(ptv, "RETRY_BACKOFF_S", 0)
    get_settings.cache_clear()
    try:
        before = sorted(p.name for p in kb.rglob("*"))
        assert main(["--dir", str(kb), "import-ptv", "--organization", ORG]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "not reachable" in err and "Nothing was written" in err and "Traceback" not in err
    assert sorted(p.name for p in kb.rglob("*")) == before


def test_transient_failures_are_retried():
    calls, sleeps = [], []
    fixtures = ptv.fixture_transport(FIXTURES)

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectTimeout("timed out", request=request)
        if len(calls) == 2:
            return httpx.Response(503)
        return fixtures.handle_request(request)

    api = ptv.PtvClient(API, httpx.MockTransport(flaky), backoff=0.5, sleep=sleeps.append)
    pages = list(api.pages("Service/list/organization", {"organizationId": ORG}))
    assert len(pages) == 3 and len(calls) == 5 and sleeps == [0.5, 1.0]


@pytest.mark.parametrize("answer, message", [
    (httpx.Response(404, json={"errorMessage": "Services not found."}), "HTTP 404"),
    (httpx.Response(200, json={"unexpected": True}), "no pageCount"),
    (httpx.Response(200, text="<html>"), "not JSON"),
])
def test_bad_answers_are_clear_errors(kb, answer, message, capsys):
    transport = httpx.MockTransport(lambda request: answer)
    assert ptv.command(kb, ORG, API, transport=transport) == 2
    assert message in capsys.readouterr().err
    assert not list((kb / "services").glob("ptv-*.md"))
