"""`python -m bot.kb validate|index|import-ptv`: the editors' command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.kb.validate import validate_knowledge_base
from bot.settings import get_settings


def _validate(root: Path) -> int:
    docs, problems = validate_knowledge_base(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{len(problems)} problem(s) in {root}; nothing was changed.", file=sys.stderr)
        return 1
    print(f"ok: {len(docs)} documents in {root}")
    return 0


def _index(root: Path, index_dir: Path, faiss_kind: str) -> int:
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.index import build_index

    docs, problems = validate_knowledge_base(root)
    if problems:
        for problem in problems:
            print(problem)
        print(f"\nindex NOT rebuilt: {len(problems)} problem(s) in the knowledge base. "
              "The bot keeps answering from the previous index.", file=sys.stderr)
        return 1
    settings = get_settings()
    path, stats = build_index(docs, Embedder.from_settings(settings), index_dir, faiss_kind)
    print(f"index {path.name}: {json.dumps(stats)}")
    return 0


def _organization_id(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a PTV organisation id (a UUID)") from None


def _since(value: str):
    from bot.kb.ptv import parse_since

    try:
        return parse_since(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _import_ptv(root: Path, args: argparse.Namespace) -> int:
    from bot.kb.ptv import command

    return command(root, args.organization, get_settings().ptv_api_url, since=args.since, full=args.full,
                   fixtures=args.fixtures, dry_run=args.dry_run)


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.kb", description="Knowledge-base tools for editors.")
    parser.add_argument("--dir", type=Path, default=settings.knowledge_dir, help="knowledge folder")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", help="check every document; exit 1 on problems")
    index = sub.add_parser("index", help="validate, then rebuild the retrieval index (only changed documents are re-embedded)")
    index.add_argument("--out", type=Path, default=settings.index_dir)
    index.add_argument("--faiss", choices=("flat", "hnsw", "ivf"), default="flat")
    ptv = sub.add_parser("import-ptv",
                         help="import the organisation's services from the Suomi.fi service registry (PTV)")
    ptv.add_argument("--organization", required=True, type=_organization_id, help="PTV organisation id (UUID)")
    when = ptv.add_mutually_exclusive_group()
    when.add_argument("--since", type=_since, help="only services modified after this UTC date/time "
                      "(default: the last successful import, from ptv-state.json; none: full import)")
    when.add_argument("--full", action="store_true",
                      help="read every service of the organisation, ignoring the state file")
    ptv.add_argument("--fixtures", type=Path, help="answer from recorded JSON files instead of the network")
    ptv.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.dir)
    if args.command == "import-ptv":
        return _import_ptv(args.dir, args)
    return _index(args.dir, args.out, args.faiss)


if __name__ == "__main__":
    raise SystemExit(main())
