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
        return Embedder(self.settings.embedding_model_dir, self.settings.torch_threads)

    @cached_property
    def retriever(self) -> RetrieverService:
        return RetrieverService(self.settings.index_dir, self.embedder)

    @cached_property
    def texts(self) -> ApprovedTexts:
        return ApprovedTexts.load(self.settings.knowledge_dir)

    @cached_property
    def events(self):
        from bot.analytics.store import EventLog

        return EventLog(self.settings.analytics_db)

    def warm_up(self) -> None:
        """Load the model and index now rather than on the first resident's question."""
        self.retriever.search("terveysasema")


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
