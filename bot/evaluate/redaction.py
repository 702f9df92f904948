"""Recall of personal-data redaction per kind, and how often service words survive (labelled cases)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bot.analytics.redact import redact


def evaluate_redaction(cases_path: Path) -> dict:
    found, total = Counter(), Counter()
    kept = keep_total = 0
    misses, over = [], []
    for line in cases_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        redacted = redact(case["text"]).text
        for item in case.get("pii", []):
            total[item["kind"]] += 1
            if item["value"] not in redacted:
                found[item["kind"]] += 1
            else:
                misses.append({"kind": item["kind"], "value": item["value"], "text": case["text"]})
        for word in case.get("keep", []):
            keep_total += 1
            if word in redacted:
                kept += 1
            else:
                over.append({"keep": word, "text": case["text"], "redacted": redacted})
    recall = {kind: round(found[kind] / total[kind], 3) for kind in sorted(total)}
    all_total = sum(total.values())
    return {"recall_by_kind": recall, "recall_all": round(sum(found.values()) / max(all_total, 1), 3),
            "identifiers": all_total, "service_words_kept": round(kept / max(keep_total, 1), 3),
            "service_words": keep_total, "misses": misses, "over_redacted": over}
