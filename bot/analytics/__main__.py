"""`python -m bot.analytics simulate|purge|delete-conversation|topics|export|report`: analytics admin tools.

Every command works on DATABASE_URL (default: SQLite in DATA_DIR) unless --url names another.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.settings import get_settings


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{value}' must be at least 1")
    return number


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"'{value}' must not be negative")
    return number


def _engine(url: str | None):
    from bot.db import database_url, make_engine, migrate

    url = url or database_url(get_settings())
    engine = make_engine(url)  # an unknown database kind fails here, before any migration attempt
    migrate(url)
    return engine


def _simulate(args) -> int:
    from bot.analytics.simulate import simulate

    summary = simulate(_engine(args.url), args.events, days=args.days, seed=args.seed)
    print(f"simulated {summary.events} events in {summary.conversations} conversations "
          f"over {args.days} days in {summary.seconds} s")
    return 0


def _purge(args) -> int:
    import time

    from bot.analytics.retention import purge_rasa_trackers
    from bot.analytics.store import purge_before

    settings = get_settings()
    days = args.days or settings.retention_days
    removed = purge_before(_engine(args.url), time.time() - days * 86400)
    trackers = purge_rasa_trackers(settings.model_copy(update={"retention_days": days}))
    print(f"removed {removed} event-log and history rows and {trackers} Rasa tracker events older than {days} days")
    return 0


def _delete_conversation(args) -> int:
    from bot.analytics.retention import delete_rasa_conversation
    from bot.analytics.store import delete_conversation_rows
    from bot.chat import pseudonym

    settings = get_settings()
    conversation = pseudonym(args.id, settings.salt()) if args.session else args.id
    with _engine(args.url).begin() as connection:
        removed = delete_conversation_rows(connection, conversation)
    print(f"conversation {conversation}: {removed} event-log and history rows deleted")
    try:
        delete_rasa_conversation(settings, conversation)
    except Exception as error:  # noqa: BLE001 — the app's copy is gone; say what is left
        print(f"error: Rasa's tracker of the conversation could not be deleted: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    print("Rasa's tracker of the conversation deleted")
    return 0


def _filters(args):
    from bot.analytics.queries import Filters

    return Filters(start=args.since, end=args.until)


def _topics(args) -> int:
    from bot.analytics.topics import run_topics
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.lemmatizer import shared_lemmatizer

    settings = get_settings()
    embedder = Embedder.from_settings(settings)
    found = run_topics(_engine(args.url), embedder, shared_lemmatizer(), _filters(args))
    if not found:
        print("no unresolved texts to cluster")
        return 0
    print(f"{'id':>6}  {'size':>6}  {'7 d':>5}  {'trend':>7}  label")
    for topic in found:
        trend = "new" if topic["trend"] is None else f"{topic['trend'] * 100:+.0f} %"
        print(f"{topic['id']:>6}  {topic['size']:>6}  {topic['last_7_days']:>5}  {trend:>7}  {topic['label']}")
    return 0


def _export(args) -> int:
    from bot.analytics.export import export

    count = export(_engine(args.url), args.out, args.format, _filters(args))
    print(f"wrote {count} rows to {args.out}")
    return 0


def _report(args) -> int:
    from bot.analytics.report import weekly_report

    args.out.write_text(weekly_report(_engine(args.url), args.week), encoding="utf-8")
    print(f"wrote the report of the week of {args.week.isoformat()} to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.analytics", description="Failure-demand analytics tools.")
    parser.add_argument("--url", help="SQLAlchemy URL of the database (default: DATABASE_URL, or SQLite in DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)
    simulate = sub.add_parser("simulate", help="add synthetic events (conversation ids start with sim-)")
    simulate.add_argument("--events", type=_count, required=True, help="number of turn events")
    simulate.add_argument("--days", type=_positive, default=90, help="spread over this many days up to now")
    simulate.add_argument("--seed", type=int, default=1)
    purge = sub.add_parser("purge", help="delete everything older than the retention period")
    purge.add_argument("--days", type=_positive, help="default: RETENTION_DAYS")
    delete = sub.add_parser("delete-conversation", help="delete one conversation's events, history and annotations")
    delete.add_argument("id", help="the conversation id as stored (or, with --session, the widget's session id)")
    delete.add_argument("--session", action="store_true", help="the id is the resident's session id")
    for name, help_text in (("topics", "cluster unresolved questions into topics and store the run"),
                            ("export", "write one row per turn as CSV or Parquet (for Power BI)")):
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--since", type=_day, help="first day, YYYY-MM-DD (Europe/Helsinki)")
        command.add_argument("--until", type=_day, help="last day, included")
        if name == "export":
            command.add_argument("--format", choices=("csv", "parquet"), required=True)
            command.add_argument("--out", type=Path, required=True)
    report = sub.add_parser("report", help="the weekly HTML report")
    report.add_argument("--week", type=_day, required=True, help="any day of the week (Monday–Sunday)")
    report.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    handlers = {"simulate": _simulate, "purge": _purge, "delete-conversation": _delete_conversation,
                "topics": _topics, "export": _export, "report": _report}
    try:
        return handlers[args.command](args)
    except (ValueError, LookupError, OSError, ImportError, SQLAlchemyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
