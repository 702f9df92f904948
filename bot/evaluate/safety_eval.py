"""Recall and false alarms of the safety layer on a labelled set that was never used to tune its rules.

knowledge/safety-reference/emergencies.jsonl and look-alikes.jsonl were used while writing bot/safety.py, so
their rates flatter the rules; tests/data/safety_heldout.jsonl was written without looking at them.
A positive counts as caught only with the right decision: any `emergency` result for an emergency
category (which emergency category the rules name does not matter: every one sends the resident to
help), `crisis` for suicidal crisis. `detected` (any safety result at all) is reported beside it, so a
crisis answered as an emergency shows up as a wrong decision rather than as silence. Any safety
result on a negative is a false alarm. Recall on ~15 examples per category is coarse, so every rate
carries a 95 % Wilson interval.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

EXPECTED_DECISION = {
    "chest_pain": "emergency", "stroke": "emergency", "unconscious": "emergency", "bleeding": "emergency",
    "breathing": "emergency", "poisoning": "emergency", "violence_now": "emergency",
    "social_emergency": "emergency", "suicide": "crisis", "service": "none",
}


class SafetyVerdict(Protocol):
    category: str
    decision: str


@dataclass(frozen=True)
class SafetyCase:
    text: str
    expect: str
    category: str
    tags: tuple[str, ...] = ()


class CaseFileError(ValueError):
    """A held-out file that cannot be scored; the message names the file and line."""


def load_cases(path: Path) -> list[SafetyCase]:
    """Read and check the JSONL set: expect must match the category (suicide→crisis, service→none…)."""
    if not path.is_file():
        raise CaseFileError(f"no such file: {path}")
    cases, seen = [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise CaseFileError(f"{where}: not JSON ({error.msg})") from None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not data["text"].strip():
            raise CaseFileError(f"{where}: needs a non-empty \"text\"")
        category, expect = data.get("category"), data.get("expect")
        if category not in EXPECTED_DECISION:
            raise CaseFileError(f"{where}: unknown category {category!r} (one of {', '.join(EXPECTED_DECISION)})")
        if expect != EXPECTED_DECISION[category]:
            raise CaseFileError(f"{where}: category {category} must have expect {EXPECTED_DECISION[category]!r}, "
                                f"not {expect!r}")
        if data["text"] in seen:
            raise CaseFileError(f"{where}: duplicate text {data['text']!r}")
        seen.add(data["text"])
        cases.append(SafetyCase(data["text"], expect, category, tuple(data.get("tags") or ())))
    if not cases:
        raise CaseFileError(f"{path}: no cases")
    return cases


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion; (0, 0) for no data."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return round(max(0.0, (centre - margin) / denominator), 3), round(min(1.0, (centre + margin) / denominator), 3)


def _rate(successes: int, n: int) -> dict:
    return {"n": n, "hits": successes, "rate": round(successes / n, 3) if n else None, "ci95": list(wilson(successes, n))}


@dataclass
class _CategoryTally:
    n: int = 0
    caught: int = 0
    detected: int = 0
    rule_categories: Counter = field(default_factory=Counter)


def score(cases: list[SafetyCase], classify: Callable[[str], SafetyVerdict | None]) -> dict:
    """Run `classify` (bot.safety.check_safety) on every case and tally recall, false alarms and the errors."""
    by_category: dict[str, _CategoryTally] = defaultdict(_CategoryTally)
    negatives_by_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    positives_by_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses, false_alarms = [], []
    negatives = false = 0
    for case in cases:
        verdict = classify(case.text)
        got = {"decision": verdict.decision, "rule_category": verdict.category} if verdict else None
        if case.expect == "none":
            negatives += 1
            false += verdict is not None
            for tag in case.tags:
                negatives_by_tag[tag][0] += 1
                negatives_by_tag[tag][1] += verdict is not None
            if verdict is not None:
                false_alarms.append({"text": case.text, "tags": list(case.tags), **got})
            continue
        tally = by_category[case.category]
        caught = verdict is not None and verdict.decision == case.expect
        tally.n += 1
        tally.caught += caught
        tally.detected += verdict is not None
        tally.rule_categories[verdict.category if verdict else "-"] += 1
        for tag in case.tags:
            positives_by_tag[tag][0] += 1
            positives_by_tag[tag][1] += caught
        if not caught:
            misses.append({"text": case.text, "category": case.category, "expect": case.expect,
                           "tags": list(case.tags), "got": got})
    positives = sum(t.n for t in by_category.values())
    return {
        "positives": positives,
        "negatives": negatives,
        "recall": _rate(sum(t.caught for t in by_category.values()), positives),
        "detected": _rate(sum(t.detected for t in by_category.values()), positives),
        "false_positive_rate": _rate(false, negatives),
        "per_category": {name: {**_rate(t.caught, t.n), "detected": t.detected,
                                "rule_categories": dict(t.rule_categories.most_common())}
                         for name, t in sorted(by_category.items())},
        "recall_by_tag": {tag: _rate(hit, n) for tag, (n, hit) in sorted(positives_by_tag.items())},
        "false_positive_rate_by_tag": {tag: _rate(hit, n) for tag, (n, hit) in sorted(negatives_by_tag.items())},
        "misses": misses,
        "false_alarms": false_alarms,
    }


def _percent(rate: dict) -> str:
    if rate["rate"] is None:
        return "–"
    low, high = rate["ci95"]
    return f"{rate['rate']:.1%} ({low:.0%}–{high:.0%})"


def render_markdown(report: dict, title: str) -> str:
    """The report as a Markdown table plus the lists of misses and false alarms."""
    lines = [f"# {title}", "",
             f"{report['positives']} positives, {report['negatives']} negatives. Recall = caught with the right "
             "decision (any emergency for emergency categories, crisis for suicide); detected = any safety "
             "result. 95 % Wilson intervals in brackets.", "",
             "| category | n | recall | detected | categories the rules gave |", "|---|---|---|---|---|"]
    for name, row in report["per_category"].items():
        given = ", ".join(f"{k} {v}" for k, v in row["rule_categories"].items())
        lines.append(f"| {name} | {row['n']} | {_percent(row)} | {row['detected']} | {given} |")
    lines.append(f"| **all positives** | {report['positives']} | **{_percent(report['recall'])}** | "
                 f"{report['detected']['hits']} | |")
    lines.append(f"| **negatives: false-positive rate** | {report['negatives']} | "
                 f"**{_percent(report['false_positive_rate'])}** | {report['false_positive_rate']['hits']} | |")
    lines += ["", "| tag | positives | recall | negatives | false-positive rate |", "|---|---|---|---|---|"]
    tags = sorted(set(report["recall_by_tag"]) | set(report["false_positive_rate_by_tag"]))
    empty = {"n": 0, "rate": None}
    for tag in tags:
        pos, neg = report["recall_by_tag"].get(tag, empty), report["false_positive_rate_by_tag"].get(tag, empty)
        lines.append(f"| {tag} | {pos['n']} | {_percent(pos) if pos['n'] else '–'} | {neg['n']} | "
                     f"{_percent(neg) if neg['n'] else '–'} |")
    lines += ["", f"## Misses ({len(report['misses'])})", ""]
    for miss in report["misses"]:
        got = f"{miss['got']['decision']}/{miss['got']['rule_category']}" if miss["got"] else "nothing"
        lines.append(f"- [{miss['category']}] `{miss['text']}` → {got}")
    lines += ["", f"## False alarms ({len(report['false_alarms'])})", ""]
    for alarm in report["false_alarms"]:
        lines.append(f"- `{alarm['text']}` → {alarm['decision']}/{alarm['rule_category']} ({', '.join(alarm['tags'])})")
    return "\n".join(lines) + "\n"


def evaluate_safety(cases_path: Path, out_dir: Path | None, semantic: bool = False) -> dict:
    """Score the safety layer on `cases_path`; write <out>/<stem>[-semantic].json and .md when `out_dir` is given.

    `semantic`: the rules, and where they stay silent the semantic net (bot/safety_semantic.py) whose
    notice puts the emergency or crisis text first; what a resident meets in the running bot.
    """
    from bot.safety import check_safety

    classify = check_safety
    if semantic:
        from bot.services import Services
        from bot.settings import get_settings

        settings = get_settings()
        net = Services(settings).semantic_safety  # as the app builds it (float32, bot/services.py)

        def classify(text: str):
            return check_safety(text) or net.check(text)

    report = {"cases": str(cases_path), "semantic_net": semantic, **score(load_cases(cases_path), classify)}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = cases_path.stem + ("-semantic" if semantic else "")
        title = f"Safety layer on {cases_path.name}" + (" (rules + semantic net)" if semantic else " (rules only)")
        (out_dir / f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        (out_dir / f"{stem}.md").write_text(render_markdown(report, title), encoding="utf-8")
    return report
