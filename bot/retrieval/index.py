"""The index artifact: chunks, their embeddings, a FAISS index and a manifest of document hashes.

Layout under ``INDEX_DIR``::

    current              # the build id being served (replaced atomically)
    <build id>/manifest.json, documents.json, chunks.json, embeddings.npy, dense.faiss

A build re-embeds only documents whose content hash changed since the previous build and
is switched on with one atomic rename, so a running bot never sees a half-written index.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.kb.documents import ANSWER_TYPES, Document
from bot.retrieval.embedder import Embedder

CHUNKER_VERSION = "6"
CARD_FIELDS = ("id", "title", "title_sv", "title_en", "type", "summary", "summary_sv", "summary_en", "audience",
               "ages", "municipalities", "url", "catalogue", "how_to_access", "keywords", "related", "updated")
MAX_CHUNK_CHARS = 900
# Keywords are indexed a few at a time: in one long list, BM25's length normalisation and the
# blurred embedding buried the one phrase a resident typed ("psykiatrinen sairaanhoitaja").
KEYWORDS_PER_CHUNK = 3
KEEP_BUILDS = 2


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    text: str
    kind: str = "text"   # "question" or "keywords": resident words from the front matter, indexed on their own


def chunk_document(doc: Document) -> list[Chunk]:
    """A head chunk (title and summary), keyword chunks, a Swedish and an English chunk, one chunk per
    body section (split if long) and one per resident question."""
    # Title and summary, and separately the words residents use: keywords would blur the summary's
    # embedding, while on their own they are what lexical matching needs.
    chunks = [Chunk(doc.id, f"{doc.title}. {doc.summary}")]
    chunks.extend(Chunk(doc.id, "; ".join(doc.keywords[i:i + KEYWORDS_PER_CHUNK]), "keywords")
                  for i in range(0, len(doc.keywords), KEYWORDS_PER_CHUNK))
    for lang in ("sv", "en"):  # residents also write in Swedish and English
        keywords = "; ".join(str(k) for k in doc.meta.get(f"keywords_{lang}") or [])
        title, summary = doc.meta.get(f"title_{lang}"), doc.meta.get(f"summary_{lang}")
        if title or summary or keywords:
            chunks.append(Chunk(doc.id, f"{title or doc.title}. {summary or ''} {keywords}".strip()))
    for heading, text in doc.sections():
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        current = ""
        for paragraph in paragraphs:
            if current and len(current) + len(paragraph) > MAX_CHUNK_CHARS:
                chunks.append(Chunk(doc.id, f"{doc.title} – {heading}: {current}"))
                current = ""
            current = f"{current}\n{paragraph}".strip()
        if current:
            chunks.append(Chunk(doc.id, f"{doc.title} – {heading}: {current}" if heading else f"{doc.title}: {current}"))
    # A resident's message is closest to another resident's question, not to the service's own prose.
    chunks.extend(Chunk(doc.id, question, "question") for question in doc.questions)
    return chunks


def index_stamp(embedder: Embedder) -> dict:
    """What the vectors depend on besides the documents: an index with another stamp is re-embedded."""
    return {"model": embedder.stamp, "chunker": CHUNKER_VERSION}


def _card(doc: Document) -> dict:
    card = {key: doc.meta.get(key) for key in CARD_FIELDS if doc.meta.get(key) not in (None, "")}
    card["municipalities"] = doc.municipalities
    card["summary"] = doc.summary
    return card


def _read_current(root: Path) -> Path | None:
    pointer = root / "current"
    if not pointer.exists():
        return None
    build = root / pointer.read_text(encoding="utf-8").strip()
    return build if (build / "manifest.json").exists() else None


def build_index(docs: list[Document], embedder: Embedder, root: Path, faiss_kind: str = "flat") -> tuple[Path, dict]:
    """Build a new artifact from valid documents and make it current. Returns (path, stats)."""
    from bot.retrieval.components import make_faiss_index

    started = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    active = sorted((d for d in docs if d.active and d.type in ANSWER_TYPES), key=lambda d: d.id)
    previous_vectors: dict[str, np.ndarray] = {}
    previous = _read_current(root)
    stamp = index_stamp(embedder)
    if previous is not None:
        manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("stamp") == stamp:
            vectors = np.load(previous / "embeddings.npy")
            for doc_id, entry in manifest["documents"].items():
                previous_vectors[entry["hash"]] = vectors[entry["start"] : entry["end"]]

    chunks: list[Chunk] = []
    entries: dict[str, dict] = {}
    parts: list[np.ndarray | None] = []
    to_embed: list[tuple[int, list[Chunk]]] = []
    for doc in active:
        doc_chunks = chunk_document(doc)
        content_hash = doc.content_hash()
        entries[doc.id] = {"hash": content_hash, "start": len(chunks), "end": len(chunks) + len(doc_chunks)}
        chunks.extend(doc_chunks)
        reused = previous_vectors.get(content_hash)
        if reused is not None and len(reused) == len(doc_chunks):
            parts.append(reused)
        else:
            to_embed.append((len(parts), doc_chunks))
            parts.append(None)
    fresh = embedder.encode_passages([c.text for _, group in to_embed for c in group])
    offset = 0
    for slot, group in to_embed:
        parts[slot] = fresh[offset : offset + len(group)]
        offset += len(group)
    vectors = np.vstack(parts).astype(np.float32) if parts else np.zeros((0, 384), dtype=np.float32)

    build_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    tmp = root / f".{build_id}.tmp"
    tmp.mkdir()
    import faiss

    np.save(tmp / "embeddings.npy", vectors)
    faiss.write_index(make_faiss_index(vectors, faiss_kind), str(tmp / "dense.faiss"))
    (tmp / "chunks.json").write_text(json.dumps([c.__dict__ for c in chunks], ensure_ascii=False), encoding="utf-8")
    (tmp / "documents.json").write_text(json.dumps({d.id: _card(d) for d in active}, ensure_ascii=False), encoding="utf-8")
    stats = {
        "documents": len(active),
        "chunks": len(chunks),
        "embedded_chunks": len(fresh),
        "reused_chunks": len(chunks) - len(fresh),
        "seconds": round(time.perf_counter() - started, 2),
    }
    manifest = {"build_id": build_id, "created": build_id, "stamp": stamp, "faiss": faiss_kind,
                "documents": entries, "stats": stats}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    final = root / build_id
    tmp.rename(final)
    pointer_tmp = root / "current.tmp"
    pointer_tmp.write_text(build_id, encoding="utf-8")
    os.replace(pointer_tmp, root / "current")
    _prune(root, keep=build_id)
    return final, stats


def _prune(root: Path, keep: str) -> None:
    builds = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in builds[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


@dataclass
class IndexArtifact:
    path: Path
    build_id: str
    chunks: list[Chunk]
    documents: dict[str, dict]
    faiss_index: object
    stamp: dict = field(default_factory=dict)  # the embedding model and chunker the vectors came from

    @classmethod
    def load_current(cls, root: Path) -> "IndexArtifact":
        build = _read_current(root)
        if build is None:
            raise FileNotFoundError(f"no retrieval index under {root}; run `python -m bot.kb index`")
        import faiss

        chunks = [Chunk(**c) for c in json.loads((build / "chunks.json").read_text(encoding="utf-8"))]
        documents = json.loads((build / "documents.json").read_text(encoding="utf-8"))
        stamp = json.loads((build / "manifest.json").read_text(encoding="utf-8")).get("stamp") or {}
        return cls(build, build.name, chunks, documents, faiss.read_index(str(build / "dense.faiss")), stamp)


def current_build_id(root: Path) -> str | None:
    build = _read_current(root)
    return build.name if build else None
