"""Approved fixed texts (knowledge/approved/*.md) that the bot says word for word, in fi/sv/en."""

from __future__ import annotations

from pathlib import Path

from bot.kb.documents import load_documents


class ApprovedTexts:
    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self._texts = texts

    @classmethod
    def load(cls, knowledge_dir: Path) -> "ApprovedTexts":
        docs, _problems = load_documents(knowledge_dir)
        texts = {d.id: {k: str(v).strip() for k, v in (d.meta.get("texts") or {}).items()}
                 for d in docs if d.type == "approved_text"}
        return cls(texts)

    def get(self, text_id: str, lang: str = "fi") -> str:
        versions = self._texts.get(text_id)
        if not versions:
            raise KeyError(f"approved text '{text_id}' is missing from knowledge/approved/")
        return versions.get(lang) or versions["fi"]

    def ids(self) -> list[str]:
        return sorted(self._texts)

