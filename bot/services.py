"""The long-lived parts of the app, created once per process and shared by the API and the actions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from bot.content import ApprovedTexts
from bot.retrieval.embedder import Embedder
from bot.retrieval.retriever import RetrieverService
from bot.settings import Settings, get_settings


@dataclass
class Services:
    settings: Settings

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder.from_settings(self.settings)

    @cached_property
    def safety_embedder(self) -> Embedder:
        """Float32 always: the safety net's thresholds were chosen on float32 vectors (docs/safety.md),
        and with int8 vectors a short message like "aloitetaan alusta" crosses them."""
        if not self.settings.embedding_int8:
            return self.embedder
        return Embedder(self.settings.embedding_model_dir, self.settings.torch_threads, int8=False)

    @cached_property
    def retriever(self) -> RetrieverService:
        return RetrieverService(self.settings.index_dir, self.embedder, redis_url=self.settings.redis_url)

    @cached_property
    def texts(self) -> ApprovedTexts:
        return ApprovedTexts.load(self.settings.knowledge_dir)

    @cached_property
    def events(self):
        from bot.analytics.store import EventLog

        return EventLog(self.engine, store_transcripts=self.settings.store_transcripts,
                        service_hours=self.service_hours, spool_dir=self.settings.data_dir)

    @cached_property
    def service_hours(self):
        from bot.service_hours import ServiceHours

        return ServiceHours.parse(self.settings.service_hours)

    @cached_property
    def semantic_safety(self):
        from bot.safety_semantic import SemanticSafety

        return SemanticSafety(self.safety_embedder, self.settings.knowledge_dir / "safety-reference",
                              self.settings.safety_similarity, self.settings.safety_margin)

    @cached_property
    def engine(self):
        """The app database (users, handoffs, annotations), migrated to the newest schema."""
        from bot.db import database_url, make_engine, migrate

        url = database_url(self.settings)
        migrate(url)
        return make_engine(url)

    @cached_property
    def accounts(self):
        from bot.staff.accounts import Accounts

        return Accounts(self.engine, self.settings.staff_session_hours)

    @cached_property
    def handoff(self):
        from bot.handoff.notify import Notifier
        from bot.handoff.service import HandoffService

        return HandoffService(self.engine, self.service_hours,
                              Notifier(self.settings.redis_url), callback_retention_days=self.settings.callback_retention_days)

    @cached_property
    def kb_editor(self):
        """The staff console's knowledge-base editor; its saves re-index in the background."""
        from bot.kb.editor import KnowledgeEditor
        from bot.kb.reindex import Reindexer

        return KnowledgeEditor(self.settings.knowledge_dir, self.engine,
                               Reindexer.for_services(self.settings, lambda: self.embedder, lambda: self.retriever),
                               stale_after_days=self.settings.kb_stale_after_days)

    def warm_up(self) -> None:
        """Load the model and index now rather than on the first resident's question."""
        self.retriever.search("terveysasema")
        self.semantic_safety.check("terveysasema")


_services: Services | None = None


def get_services() -> Services:
    global _services
    if _services is None:
        _services = Services(get_settings())
    return _services


def set_services(services: Services | None) -> None:
    """Used by the app factory and tests to choose the instance the actions see."""
    global _services
    _services = services
