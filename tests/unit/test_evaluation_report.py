"""The evaluation report files (no model, no bot)."""

import json

from bot.evaluate.metrics import Query, Report, write_report


def test_report_lists_misses_and_wrong_decisions(tmp_path):
    report = Report()
    report.add_service(Query("hammaslääkäri kuhmossa", ["hammashoito"], ["municipality"], "service"),
                       [{"id": "hammashoitopelko"}, {"id": "hammashoito"}])
    report.add_service(Query("neuvola", ["C2"], [], "service"), [{"id": "neuvola", "catalogue": ["C2"]}])
    report.extra = {"wrong_decisions": [{"text": "kuka voittaa vaalit", "kind": "out_of_scope", "decision": "answer",
                                         "reason": None, "sources": ["vaalit-info"]}]}
    write_report(report.to_dict(), tmp_path, "chat")

    data = json.loads((tmp_path / "chat.json").read_text(encoding="utf-8"))
    assert data["service"] == {"n": 2, "top1": 0.5, "top3": 1.0, "mrr": 0.75}
    markdown = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert "`hammaslääkäri kuhmossa` → hammashoitopelko (expected hammashoito, rank 2)" in markdown
    assert "- out_of_scope: `kuka voittaa vaalit` → answer (-; vaalit-info)" in markdown
    assert '"wrong_decisions"' not in markdown  # listed once, not again inside the JSON block


def test_a_rate_over_an_empty_set_is_none_not_perfect():
    from bot.evaluate.__main__ import share

    assert share(0, 0) is None          # a set without out-of-scope questions has no such rate
    assert share(56, 57) == 0.982 and share(0, 5) == 0.0
