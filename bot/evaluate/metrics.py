"""Scoring shared by the routing and chat evaluations."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Query:
    text: str
    expect: list[str]
    tags: list[str]
    kind: str


def load_queries(path: Path) -> list[Query]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            data = json.loads(line)
            rows.append(Query(data["text"], data.get("expect", []), data.get("tags", []), data["kind"]))
    return rows


def rank_of_hit(expect: list[str], ranked: list[dict]) -> int | None:
    """1-based rank of the first result whose id or any catalogue ID is expected."""
    wanted = set(expect)
    for rank, doc in enumerate(ranked, start=1):
        if doc["id"] in wanted or wanted & set(doc.get("catalogue") or []):
            return rank
    return None


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0
    rr: float = 0.0

    def add(self, rank: int | None) -> None:
        self.n += 1
        self.top1 += rank == 1
        self.top3 += rank is not None and rank <= 3
        self.rr += 1 / rank if rank else 0.0

    def summary(self) -> dict:
        n = max(self.n, 1)
        return {"n": self.n, "top1": round(self.top1 / n, 3), "top3": round(self.top3 / n, 3), "mrr": round(self.rr / n, 3)}


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    by_tag: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def add_service(self, query: Query, ranked: list[dict]) -> int | None:
        rank = rank_of_hit(query.expect, ranked)
        self.overall.add(rank)
        for tag in query.tags or ["untagged"]:
            self.by_tag[tag].add(rank)
        if rank != 1:
            self.misses.append({"text": query.text, "expect": query.expect, "rank": rank,
                                "first": ranked[0]["id"] if ranked else None})
        return rank

    def to_dict(self) -> dict:
        return {"service": self.overall.summary(),
                "by_tag": {tag: t.summary() for tag, t in sorted(self.by_tag.items())},
                **self.extra, "misses": self.misses}


def write_report(report: dict, out_dir: Path | None, name: str) -> None:
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if out_dir is None:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.json").write_text(text, encoding="utf-8")
    lines = [f"# {name}", "", "| set | n | top-1 | top-3 | MRR |", "|---|---|---|---|---|"]
    lines.append(f"| all service questions | {report['service']['n']} | {report['service']['top1']} | "
                 f"{report['service']['top3']} | {report['service']['mrr']} |")
    for tag, s in report["by_tag"].items():
        lines.append(f"| {tag} | {s['n']} | {s['top1']} | {s['top3']} | {s['mrr']} |")
    listed = ("by_tag", "misses", "service", "wrong_decisions")
    lines += ["", "```json", json.dumps({k: v for k, v in report.items() if k not in listed},
                                         indent=2, ensure_ascii=False), "```", "", "## Misses (expected → first)", ""]
    lines += [f"- `{m['text']}` → {m['first']} (expected {', '.join(m['expect'])}, rank {m['rank']})" for m in report["misses"]]
    if "wrong_decisions" in report:
        lines += ["", "## Refused service questions and answered out-of-scope questions", ""]
        lines += [f"- {w['kind']}: `{w['text']}` → {w['decision']} ({w['reason'] or '-'}; {', '.join(w['sources']) or 'no source'})"
                  for w in report["wrong_decisions"]]
    (out_dir / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
