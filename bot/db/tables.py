"""Every table of the app in one MetaData. Change a table here AND add an Alembic revision.

Sections belong to their feature: the event log (analytics), the staff console (users, sessions),
and human handoff. Migrations live in bot/db/migrations/versions, one branch per feature
(`analytics`, `staff`, `handoff`), all upgraded to their heads at start-up.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Float, Index, Integer, LargeBinary, MetaData, SmallInteger, String, Table, Text

metadata = MetaData()

# --- analytics: one row per resident turn, and the conversation history shown in the widget -----
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("conversation", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("lang", String(8)),
    Column("municipality", String(32)),
    Column("intent", String(64)),
    Column("intent_confidence", Float),
    Column("decision", String(32), nullable=False),
    Column("reason", String(64)),
    Column("confidence", Float),
    Column("sources", Text),
    Column("feedback", Integer),
    Column("text_redacted", Text),
    Column("latency_ms", Float),
    # derived when written (revision a001), so the console aggregates with plain GROUP BYs:
    Column("day", Date),                   # Europe/Helsinki calendar day
    Column("week", Date),                  # Monday of that day's week
    Column("hour", SmallInteger),          # 0-23, Europe/Helsinki
    Column("weekday", SmallInteger),       # 0 = Monday
    Column("off_hours", SmallInteger, nullable=False, server_default="0"),   # 1 = outside service hours
    Column("unresolved", SmallInteger, nullable=False, server_default="0"),  # 1 = bot.analytics.vocabulary.is_unresolved
    Column("top_doc", String(128)),        # the first source document, if any
    Index("events_ts", "ts"),
    Index("events_conversation", "conversation"),
    # Covering indexes: each overview/inbox query reads one index in its GROUP BY / ORDER BY order,
    # with every filter column inside it, and never the table (≈0.4 s for 1M events on SQLite).
    Index("events_stats", "day", "hour", "decision", "unresolved", "feedback", "off_hours", "municipality", "lang",
          "reason", "conversation"),
    Index("events_places", "municipality", "lang", "day", "unresolved", "decision", "reason"),
    Index("events_unresolved_day", "unresolved", "day", "ts", "reason", "municipality", "lang", "decision"),
    Index("events_day_conversation", "day", "conversation"),
)

messages = Table(
    "messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("conversation", String(64), nullable=False),
    Column("sender", String(16), nullable=False),
    Column("payload", Text, nullable=False),
    Index("messages_conversation", "conversation", "id"),
    Index("messages_ts", "ts"),
)

# --- analytics: staff annotations and topic clustering of unresolved turns (revisions a0xx) ------
annotations = Table(  # a staff member's correction of one event: the current state, one row per event
    "annotations", metadata,
    Column("event_id", Integer, primary_key=True),
    Column("reason", String(64)),          # overrides events.reason when set
    Column("doc_id", String(128)),         # knowledge-base document that should have answered
    Column("intent", String(64)),          # NLU intent the text should become a training example of
    Column("annotated_by", String(64), nullable=False),
    Column("ts", Float, nullable=False),
    Index("annotations_reason", "reason"),
    Index("annotations_doc_id", "doc_id"),
    Index("annotations_intent", "intent"),
)

topic_runs = Table(
    "topic_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("texts", Integer, nullable=False),
    Column("filters", Text),               # JSON of the Filters the run clustered
    Column("model", String(200)),
)

topics = Table(
    "topics", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),
    Column("label", String(200), nullable=False),
    Column("lemmas", Text, nullable=False),  # JSON list, most characteristic first
    Column("size", Integer, nullable=False),
    Index("topics_run", "run_id"),
)

event_topics = Table(
    "event_topics", metadata,
    Column("event_id", Integer, primary_key=True),
    Column("topic_id", Integer, primary_key=True),
    Index("event_topics_topic", "topic_id", "event_id"),
)

event_embeddings = Table(  # e5 vectors of unresolved texts, so a new run embeds only new turns
    "event_embeddings", metadata,
    Column("event_id", Integer, primary_key=True),
    Column("model", String(200), nullable=False),
    Column("vector", LargeBinary, nullable=False),
)

# --- staff console: users, sessions, login throttling ------------------------------------------
staff_users = Table(
    "staff_users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Integer, nullable=False, default=1),
    Column("created", Float, nullable=False),
)

staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Index("staff_sessions_expires", "expires"),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(160), nullable=False),
    Column("ts", Float, nullable=False),
    Index("login_attempts_key_ts", "key", "ts"),
)

# --- human handoff: queue, live chat, advisor presence, call-back requests ----------------------
handoffs = Table(
    "handoffs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation", String(64), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("status", String(16), nullable=False),  # waiting, active, ended, cancelled
    Column("reason", String(32)),
    Column("requested_ts", Float, nullable=False),
    Column("accepted_ts", Float),
    Column("ended_ts", Float),
    Column("ended_by", String(16)),
    Column("advisor_id", Integer),
    Column("advisor_name", String(128)),
    Index("handoffs_status", "status", "requested_ts"),
    Index("handoffs_conversation", "conversation"),
)

handoff_messages = Table(
    "handoff_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, nullable=False),
    Column("ts", Float, nullable=False),
    Column("sender", String(16), nullable=False),  # resident, advisor, system
    Column("text", Text, nullable=False),
    Index("handoff_messages_handoff", "handoff_id", "id"),
)

advisor_presence = Table(
    "advisor_presence", metadata,
    Column("user_id", Integer, primary_key=True),
    Column("display_name", String(128), nullable=False),
    Column("last_seen", Float, nullable=False),
)

callback_requests = Table(
    "callback_requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("conversation", String(64), nullable=False),
    Column("phone", String(32)),  # given deliberately for this request only; erased when handled or expired
    Column("preferred_time", String(120)),
    Column("topic", Text),
    Column("lang", String(8), nullable=False),
    Column("status", String(16), nullable=False),  # open, done
    Column("handled_by", String(128)),
    Column("expires", Float, nullable=False),
    Index("callback_requests_status", "status", "ts"),
)

# --- knowledge-base editor: who changed which document file, and handled knowledge gaps (k001) --
kb_revisions = Table(  # one row per save in the editor; the Markdown files stay the source of truth
    "kb_revisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("doc_id", String(128), nullable=False),
    Column("path", String(255), nullable=False),     # relative to KNOWLEDGE_DIR, e.g. services/hammashoito.md
    Column("ts", Float, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(16), nullable=False),    # create, update, review, retire, revert
    Column("old_text", Text),                        # the file before the change; None when created
    Column("new_text", Text, nullable=False),
    Column("reverts", Integer),                      # for action revert: the revision that was undone
    Index("kb_revisions_doc", "doc_id", "id"),
)

kb_gap_done = Table(  # unresolved questions an editor has dealt with; they leave the to-do list
    "kb_gap_done", metadata,
    Column("event_id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("ts", Float, nullable=False),
)
