"""The failure-demand pages of the staff console on simulated events: filters, annotations, exports."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient

from bot.analytics.simulate import simulate
from tests.api.staff_helpers import csrf_from, make_user, sign_in


@pytest.fixture
def advisor(app):
    with TestClient(app) as client:
        simulate(app.state.services.engine, 600, days=20, seed=3)
        make_user(app, "anna", "advisor")
        make_user(app, "eero", "editor")
        sign_in(client, "anna")
        yield client


def test_overview_shows_rates_and_charts(advisor):
    page = advisor.get("/staff/")
    assert page.status_code == 200
    assert "keskustelua" in page.text and "ratkaistu" in page.text
    assert page.text.count("<svg") >= 3  # daily series, heat map, reasons
    kajaani = advisor.get("/staff/?municipality=Kajaani")
    assert kajaani.status_code == 200 and "Kajaani" in kajaani.text


def test_bad_filters_get_a_clear_error(advisor):
    response = advisor.get("/staff/inbox?start=eilen")
    assert response.status_code == 422 and "VVVV-KK-PP" in response.text
    assert advisor.get("/staff/inbox?start=2026-11-20&end=2026-11-01").status_code == 422


def test_inbox_filters_by_reason_and_municipality(advisor):
    everything = advisor.get("/staff/inbox").text
    only_no_match = advisor.get("/staff/inbox?reason=no_match&municipality=Kuhmo").text
    total = int(re.search(r"<p>(\d+) kysymystä", everything).group(1))
    narrowed = int(re.search(r"<p>(\d+) kysymystä", only_no_match).group(1))
    assert 0 < narrowed < total
    assert "Pyysi ihmistä" not in re.sub(r"<option[^>]*>[^<]*</option>", "", only_no_match)


def test_annotation_links_a_query_and_feeds_both_exports(advisor):
    page = advisor.get("/staff/inbox?reason=no_match").text
    event_id = int(re.search(r'id="event-(\d+)"', page).group(1))
    text = re.search(rf'id="event-{event_id}">\s*<h2 class="inbox-text">”([^”]*)”', page).group(1)
    response = advisor.post(f"/staff/inbox/{event_id}", data={
        "csrf_token": csrf_from(page), "reason": "no_match", "doc_id": "hammashoito", "intent": "service_question"},
        follow_redirects=False)
    assert response.status_code == 303
    assert "merkinnyt anna" in advisor.get("/staff/inbox?reason=no_match").text

    examples = advisor.get("/staff/inbox/nlu-examples.yml")
    assert examples.headers["content-disposition"].endswith('nlu-examples.yml"')
    import yaml

    parsed = yaml.safe_load(examples.text)
    assert parsed["nlu"][0]["intent"] == "service_question"
    assert " ".join(text.split()) in parsed["nlu"][0]["examples"].replace("&amp;", "&")

    gaps = advisor.get("/staff/inbox/knowledge-gaps.csv").text.lstrip("\ufeff")
    assert gaps.splitlines()[0] == "doc_id,topic,count,examples,event_ids"
    assert any(line.startswith("hammashoito,") and str(event_id) in line for line in gaps.splitlines())


def test_annotation_needs_csrf_and_a_known_event(advisor):
    page = advisor.get("/staff/inbox").text
    assert advisor.post("/staff/inbox/1", data={"reason": "no_match"}).status_code == 403
    assert advisor.post("/staff/inbox/999999", data={"csrf_token": csrf_from(page), "reason": "no_match"}).status_code == 404
    bad = advisor.post("/staff/inbox/1", data={"csrf_token": csrf_from(page), "doc_id": "<script>"})
    assert bad.status_code == 422


def test_csv_and_parquet_exports_read_back(advisor):
    import pyarrow.parquet as pq

    csv_response = advisor.get("/staff/reports/events.csv?start=2026-01-01")
    assert csv_response.status_code == 200 and "text/csv" in csv_response.headers["content-type"]
    header = csv_response.text.lstrip("\ufeff").splitlines()[0]
    assert "decision" in header and "municipality" in header
    parquet = advisor.get("/staff/reports/events.parquet")
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 600 and "decision" in table.column_names
    assert len(csv_response.text.strip().splitlines()) == 601


def test_weekly_report_is_self_contained(advisor):
    report = advisor.get("/staff/reports/weekly")
    assert report.status_code == 200 and "<svg" in report.text and "<script" not in report.text


def test_editors_do_not_see_resident_questions(app, advisor):
    editor = TestClient(app)
    sign_in(editor, "eero")
    for path in ("/staff/", "/staff/inbox", "/staff/topics", "/staff/reports/events.csv"):
        assert editor.get(path).status_code == 403, path
