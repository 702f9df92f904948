"""`python -m bot.staff create-user|set-password|disable-user|enable-user|list-users`: staff accounts.

Passwords are read from the terminal (or one line of standard input with --password-stdin), never
from the command line, so they do not end up in shell history.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.db import database_url, make_engine, migrate
from bot.settings import get_settings
from bot.staff.accounts import ROLES, AccountError, Accounts


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Salasana / password: ")
    if getpass.getpass("Uudelleen / again: ") != first:
        raise AccountError("the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff", description="Staff console accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="add an advisor, editor or admin")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--name", help="name shown in the console (default: the username)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password = sub.add_parser("set-password", help="change a password (signs the user out everywhere)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    for name in ("disable-user", "enable-user"):
        sub.add_parser(name).add_argument("username")
    sub.add_parser("list-users")
    args = parser.parse_args(argv)

    url = database_url(get_settings())
    migrate(url)
    accounts = Accounts(make_engine(url))
    try:
        if args.command == "create-user":
            user = accounts.create_user(args.username, _read_password(args.password_stdin), args.role, args.name)
            print(f"created {user.username} ({user.role})")
        elif args.command == "set-password":
            accounts.set_password(args.username, _read_password(args.password_stdin))
            print(f"password changed for {args.username}")
        elif args.command in ("disable-user", "enable-user"):
            accounts.set_active(args.username, args.command == "enable-user")
            print(f"{args.username}: {'enabled' if args.command == 'enable-user' else 'disabled'}")
        else:
            for user in accounts.users():
                print(f"{user['username']:<24} {user['role']:<8} {'active' if user['active'] else 'disabled'}")
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
