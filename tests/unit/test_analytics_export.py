"""Exports for Power BI (CSV and Parquet with the documented columns), the weekly HTML report and
the SVG charts it is drawn with."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timezone

import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert

from bot.analytics.charts import bar_chart, fi_number, fi_percent, heatmap, line_chart
from bot.analytics.export import COLUMN_NAMES, EXPORT_COLUMNS, SCHEMA, export, weekly_report
from bot.analytics.queries import Filters, annotate
from bot.analytics.store import TurnEvent, event_row
from bot.db import make_engine, migrate
from bot.db.tables import events
from bot.service_hours import HELSINKI
from bot.settings import PROJECT_ROOT


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    turns = [
        TurnEvent(conversation="a", decision="answer", lang="fi", municipality="Kajaani", sources=["neuvola", "x"],
                  confidence=0.82, intent="service_question", intent_confidence=0.9, latency_ms=312.5,
                  ts=datetime(2025, 3, 3, 9, 15, tzinfo=HELSINKI).timestamp()),
        TurnEvent(conversation="a", decision="fallback", reason="negative_feedback", feedback=0, lang="fi",
                  sources=["neuvola"], text_redacted='neuvola "aukiolo", ma–pe',
                  ts=datetime(2025, 3, 3, 9, 16, tzinfo=HELSINKI).timestamp()),
        TurnEvent(conversation="b", decision="decline", reason="out_of_scope:medical_advice", lang="sv",
                  text_redacted="hur mycket ipren", ts=datetime(2025, 3, 10, 22, 0, tzinfo=HELSINKI).timestamp()),
    ]
    with engine.begin() as connection:
        connection.execute(insert(events), [event_row(t) for t in turns])
    return engine


def test_parquet_round_trip_keeps_the_documented_types_and_values(engine, tmp_path):
    path = tmp_path / "events.parquet"
    assert export(engine, path, "parquet") == 3
    table = pq.read_table(path)
    assert table.schema.equals(SCHEMA)
    rows = table.to_pylist()
    first, rated, declined = rows
    assert first["ts_utc"] == datetime(2025, 3, 3, 7, 15, tzinfo=timezone.utc)
    assert first["local_time"] == datetime(2025, 3, 3, 9, 15)
    assert (first["day"], first["week"], first["hour"], first["weekday_iso"]) == (date(2025, 3, 3), date(2025, 3, 3), 9, 1)
    assert (first["sources"], first["top_doc"], first["confidence"], first["unresolved"]) == ("neuvola;x", "neuvola", 0.82, False)
    assert (rated["feedback"], rated["reason_label"], rated["unresolved"]) == ("negative", "Kielteinen palaute", True)
    assert declined["decision_label"] == "Rajattu pois" and declined["off_hours"] is True
    assert declined["reason_label"] == "Aiheen ulkopuolella: lääketieteellinen neuvonta"


def test_csv_has_the_documented_header_and_iso_values(engine, tmp_path):
    path = tmp_path / "events.csv"
    assert export(engine, path, "csv", Filters(start=date(2025, 3, 3), end=date(2025, 3, 9))) == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Power BI and Excel detect the encoding
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == COLUMN_NAMES
    assert rows[0]["ts_utc"] == "2025-03-03T07:15:00.000Z" and rows[0]["local_time"] == "2025-03-03T09:15:00"
    assert rows[0]["day"] == "2025-03-03" and rows[0]["unresolved"] == "false" and rows[0]["feedback"] == ""
    assert rows[1]["text_redacted"] == 'neuvola "aukiolo", ma–pe'  # quoting survives commas and quotes


def test_export_carries_staff_annotations(engine, tmp_path):
    annotate(engine, 3, reason="out_of_scope:clinical_action", intent="clinical_action", user="sari")
    path = tmp_path / "events.parquet"
    export(engine, path, "parquet")
    declined = pq.read_table(path).to_pylist()[2]
    assert (declined["reason"], declined["reason_logged"], declined["linked_intent"]) == \
        ("out_of_scope:clinical_action", "out_of_scope:medical_advice", "clinical_action")


def test_empty_export_still_has_the_schema(engine, tmp_path):
    path = tmp_path / "none.parquet"
    assert export(engine, path, "parquet", Filters(start=date(2030, 1, 1))) == 0
    assert pq.read_table(path).schema.equals(SCHEMA)
    with pytest.raises(ValueError, match="csv or parquet"):
        export(engine, tmp_path / "x.xlsx", "xlsx")


def test_every_export_column_is_documented():
    docs = (PROJECT_ROOT / "docs" / "analytics.md").read_text(encoding="utf-8")
    section = docs.split("### Export columns", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", section, flags=re.M)
    assert [name for name, _ in documented] == COLUMN_NAMES
    assert [kind.strip() for _, kind in documented] == [str(kind).replace("timestamp[ms, tz=UTC]", "timestamp[ms, UTC]")
                                                       .replace("double", "float64").replace("date32[day]", "date32")
                                                       for _, kind, _ in EXPORT_COLUMNS]


def test_weekly_report_is_self_contained_finnish_html_with_charts(engine):
    html = weekly_report(engine, date(2025, 3, 5))  # any day of the week will do
    assert html.startswith("<!doctype html>") and '<html lang="fi">' in html
    assert "vk 10 (3.3.–9.3.2025)" in html
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count("<svg") >= 5
    assert "Kielteinen palaute" in html and "Ratkaisematta" in html
    assert "neuvola" in html  # the knowledge gap: the rated answer's document


def test_charts_are_accessible_svg_and_escape_their_labels():
    svg = bar_chart([("<script>alert(1)</script>", 3), ("Kajaani", 1200)], "Viestit kunnittain")
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "Kajaani: 1\u202f200" in svg  # the value is written out, Finnish style
    line = line_chart(["ma", "ti"], {"Viestit": [1, 5]}, "Päivittäin")
    assert line.count("<circle") == 2 and "Viestit ti: 5" in line
    grid = heatmap([[0] * 24 for _ in range(6)] + [[0] * 23 + [7]], "Viikko")
    assert grid.count("<rect") == 7 * 24 and "su klo 23–24: 7" in grid and "Eniten su klo 23" in grid
    assert "Ei tietoja" in bar_chart([], "Tyhjä") and "Ei tietoja" in heatmap([[0] * 24] * 7, "Tyhjä")


def test_finnish_number_formats():
    assert fi_number(1234567.891, 1) == "1\u202f234\u202f567,9"
    assert fi_percent(0.2734) == "27,3 %"
