"""What an editor's save costs, on a copy of the real knowledge base and index.

Per step: validate + atomic write + revision (one save), the list page's load and validation, the
background re-index after one changed document (only it is re-embedded), and the swap of the
serving retriever to the new build. Searches keep answering during the swap; the table also
shows a search's latency while a new index loads next to it. Usage: python bench/kb_editor.py [--saves 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import make_engine, migrate  # noqa: E402
from bot.kb.editor import KnowledgeEditor  # noqa: E402
from bot.kb.reindex import rebuild_index  # noqa: E402
from bot.kb.validate import validate_knowledge_base  # noqa: E402
from bot.retrieval.embedder import Embedder  # noqa: E402
from bot.retrieval.retriever import RetrieverService  # noqa: E402
from bot.settings import get_settings  # noqa: E402


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=5)
    args = parser.parse_args()
    settings = get_settings()
    work = Path(tempfile.mkdtemp(prefix="kb-editor-bench-"))
    try:
        shutil.copytree(settings.knowledge_dir, work / "knowledge")
        build = (settings.index_dir / "current").read_text(encoding="utf-8").strip()
        shutil.copytree(settings.index_dir / build, work / "index" / build)
        (work / "index" / "current").write_text(build, encoding="utf-8")
        url = f"sqlite:///{work}/app.sqlite3"
        migrate(url)
        editor = KnowledgeEditor(work / "knowledge", make_engine(url))
        embedder = Embedder.from_settings(settings)
        service = RetrieverService(work / "index", embedder)
        service.search("terveysasema")  # model and index loaded, as in a warmed-up app
        rebuild_index(work / "knowledge", work / "index", embedder)  # the copy's own baseline build

        rows: dict[str, list[float]] = {"save (validate + write + revision)": [], "list page data (load + validate)": [],
                                        "re-index after one save": [], "swap serving retriever": []}
        stats = []
        for i in range(args.saves):
            loaded = editor.load("ateriapalvelu")
            ms, _ = timed(editor.save, "ateriapalvelu", {"keywords": loaded.fields["keywords"] + f", bench{i}"}, None,
                          "bench")
            rows["save (validate + write + revision)"].append(ms)
            ms, _ = timed(validate_knowledge_base, work / "knowledge")
            rows["list page data (load + validate)"].append(ms)
            ms, (_build, build_stats) = timed(rebuild_index, work / "knowledge", work / "index", embedder)
            rows["re-index after one save"].append(ms)
            stats.append(build_stats)
            ms, _ = timed(service.reload)
            rows["swap serving retriever"].append(ms)

        rows["search (baseline)"] = [timed(service.search, "Onko saunapalvelua vanhuksille?")[0] for _ in range(30)]
        # a search arriving while a new index loads: it is answered from the old one (no waiting for
        # the load), but shares the CPU and the GIL with the loader
        latencies: list[float] = []
        for _ in range(10):
            loader = threading.Thread(target=service._load)
            loader.start()
            latencies.append(timed(service.search, "Onko saunapalvelua vanhuksille?")[0])
            loader.join()
        rows["search during one index load"] = latencies

        table = {name: {"n": len(v), "p50_ms": round(statistics.median(v), 1), "max_ms": round(max(v), 1)}
                 for name, v in rows.items()}
        print(f"{'step':<40} {'n':>3} {'p50 ms':>9} {'max ms':>9}")
        for name, row in table.items():
            print(f"{name:<40} {row['n']:>3} {row['p50_ms']:>9} {row['max_ms']:>9}")
        print(f"re-embedded chunks per save: {[s['embedded_chunks'] for s in stats]} of {stats[0]['chunks']}")
        out = ROOT / "bench" / "results" / "kb_editor.json"
        out.write_text(json.dumps({"steps": table, "builds": stats}, indent=1), encoding="utf-8")
        print(f"written {out.relative_to(ROOT)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
