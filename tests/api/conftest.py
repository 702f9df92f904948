"""The real app on a private data directory, with Rasa's address pointing where nothing listens."""

from __future__ import annotations

import pytest

from bot.api.app import create_app


@pytest.fixture
def app(settings):
    return create_app(settings, warm_up=False)
