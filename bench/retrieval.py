"""Retrieval cost at the real knowledge base and at synthetic 1,000 / 10,000 documents.

Per-query p50/p95 (query embedding included), index build time and process memory, so we see
how cost grows. Synthetic documents recombine real titles, summaries, keywords and resident
questions (a short body; about as many chunks as a real document, most of them questions).
Usage: python bench/retrieval.py [--sizes real,1000,10000]
(EMBEDDING_INT8=false measures the float32 model; each row names the mode it ran in.)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.kb.documents import Document, load_documents, parse_text  # noqa: E402
from bot.retrieval.embedder import QUANTIZATION, Embedder  # noqa: E402
from bot.retrieval.index import build_index  # noqa: E402
from bot.retrieval.retriever import RetrieverService  # noqa: E402
from bot.settings import get_settings  # noqa: E402


def synthetic(docs: list[Document], n: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    answer_docs = [d for d in docs if d.type != "approved_text"]
    out = []
    for i in range(n):
        base, other = rng.choice(answer_docs), rng.choice(answer_docs)
        keywords = rng.sample(base.keywords, min(5, len(base.keywords))) + rng.sample(other.keywords, min(3, len(other.keywords)))
        # variants of real questions, so the same question never sits under two documents
        questions = [f"{q} ({i})" for q in base.questions]
        text = (f"---\nid: syn-{i}\ntitle: {base.title} ({i})\ntype: service\nsummary: {json.dumps(base.summary)}\n"
                f"keywords: {json.dumps(keywords, ensure_ascii=False)}\nmunicipalities: all\n"
                f"questions: {json.dumps(questions, ensure_ascii=False)}\n---\n"
                f"## Mitä palvelu on\n{other.summary}\n")
        out.append(parse_text(Path(f"services/syn-{i}.md"), text.encode("utf-8")))
    return out


def measure(docs: list[Document], queries: list[str], embedder: Embedder) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="retrieval-bench-"))
    try:
        started = time.perf_counter()
        _path, stats = build_index(docs, embedder, workdir)
        build_s = time.perf_counter() - started
        service = RetrieverService(workdir, embedder)
        service.search("lämmittely")
        latencies = []
        for query in queries:
            t = time.perf_counter()
            service.search(query)
            latencies.append((time.perf_counter() - t) * 1000)
        latencies.sort()
        return {"documents": stats["documents"], "chunks": stats["chunks"], "build_s": round(build_s, 1),
                "p50_ms": round(latencies[len(latencies) // 2], 1), "p95_ms": round(latencies[int(len(latencies) * 0.95)], 1),
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                # the embedding worker processes of a large build (each holds its own copy of the model)
                "worker_max_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="real,1000", help="comma list of real and/or numbers of synthetic documents")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "retrieval.json")
    args = parser.parse_args()
    settings = get_settings()
    embedder = Embedder.from_settings(settings)
    docs, _ = load_documents(settings.knowledge_dir)
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "routing_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = [r["text"] for r in rows][:200]
    results = []
    for size in args.sizes.split(","):
        corpus = docs if size == "real" else synthetic(docs, int(size))
        result = {"size": size, "embedding": QUANTIZATION if embedder.int8 else "float32",
                  **measure(corpus, queries, embedder)}
        results.append(result)
        print(f"{size:>6}: {result['documents']} docs, {result['chunks']} chunks, build {result['build_s']} s, "
              f"query p50 {result['p50_ms']} ms p95 {result['p95_ms']} ms, max RSS {result['max_rss_mb']} MB "
              f"(embedding workers {result['worker_max_rss_mb']} MB each)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
