"""Staff accounts, login sessions and login throttling, stored in the app database.

Passwords are hashed with argon2id. A session is a random token in an HttpOnly cookie; only its
SHA-256 is stored, so a copy of the database does not let anyone sign in. Each session carries
its own CSRF token for the console's forms and fetch calls.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, insert, select, update

from bot.db.tables import login_attempts, staff_sessions, staff_users

ROLES = ("advisor", "editor", "admin")
ROLE_LABELS_FI = {"advisor": "palveluneuvoja", "editor": "sisällöntuottaja", "admin": "ylläpitäjä"}
MIN_PASSWORD_CHARS = 12
_hasher = PasswordHasher()
# Verifying against a dummy hash when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class AccountError(ValueError):
    """A request about accounts that cannot be done, with a message fit to show."""


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    role: str

    def has_role(self, *roles: str) -> bool:
        """Admins may do everything; others only what their own role allows."""
        return self.role == "admin" or self.role in roles


@dataclass(frozen=True)
class StaffSession:
    token: str
    user: StaffUser
    csrf_token: str
    expires: float


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, engine: Engine, session_hours: float = 8.0, max_failures: int = 5,
                 failure_window_s: float = 15 * 60) -> None:
        self.engine = engine
        self.session_seconds = session_hours * 3600
        self.max_failures = max_failures
        self.failure_window_s = failure_window_s

    # users ------------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, role: str, display_name: str | None = None) -> StaffUser:
        username = username.strip().lower()
        if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
            raise AccountError("username may contain only letters, digits, '.', '-' and '_'")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"password must be at least {MIN_PASSWORD_CHARS} characters")
        with self.engine.begin() as db:
            if db.execute(select(staff_users.c.id).where(staff_users.c.username == username)).first():
                raise AccountError(f"user {username!r} already exists")
            user_id = db.execute(insert(staff_users).values(
                username=username, display_name=display_name or username, password_hash=_hasher.hash(password),
                role=role, active=1, created=time.time())).inserted_primary_key[0]
        return StaffUser(user_id, username, display_name or username, role)

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"password must be at least {MIN_PASSWORD_CHARS} characters")
        with self.engine.begin() as db:
            changed = db.execute(update(staff_users).where(staff_users.c.username == username.lower())
                                 .values(password_hash=_hasher.hash(password))).rowcount
            if not changed:
                raise AccountError(f"no user {username!r}")
            self._end_sessions_of(db, username)

    def set_active(self, username: str, active: bool) -> None:
        with self.engine.begin() as db:
            changed = db.execute(update(staff_users).where(staff_users.c.username == username.lower())
                                 .values(active=int(active))).rowcount
            if not changed:
                raise AccountError(f"no user {username!r}")
            if not active:
                self._end_sessions_of(db, username)

    def users(self) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(select(staff_users.c.username, staff_users.c.display_name, staff_users.c.role,
                                     staff_users.c.active).order_by(staff_users.c.username)).mappings().all()
        return [dict(r) for r in rows]

    def count_users(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(staff_users)).scalar_one()

    @staticmethod
    def _end_sessions_of(db, username: str) -> None:
        user_ids = select(staff_users.c.id).where(staff_users.c.username == username.lower())
        db.execute(delete(staff_sessions).where(staff_sessions.c.user_id.in_(user_ids)))

    # login ------------------------------------------------------------------------------------
    def is_throttled(self, key: str, limit: int | None = None) -> bool:
        """Too many failed sign-ins for `key` (address and username) within the window."""
        since = time.time() - self.failure_window_s
        limit = limit or self.max_failures
        with self.engine.connect() as db:
            failures = db.execute(select(func.count()).select_from(login_attempts)
                                  .where(login_attempts.c.key == key, login_attempts.c.ts >= since)).scalar_one()
        return failures >= limit

    def authenticate(self, username: str, password: str, throttle_key: str) -> StaffUser | None:
        """The user if the password is right; every failure counts towards throttling."""
        username = (username or "").strip().lower()
        with self.engine.connect() as db:
            row = db.execute(select(staff_users).where(staff_users.c.username == username)).mappings().first()
        try:
            ok = _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None or not row["active"]:
            with self.engine.begin() as db:
                db.execute(insert(login_attempts).values(key=throttle_key, ts=time.time()))
            return None
        with self.engine.begin() as db:
            db.execute(delete(login_attempts).where(login_attempts.c.key == throttle_key))
        return StaffUser(row["id"], row["username"], row["display_name"], row["role"])

    # sessions ---------------------------------------------------------------------------------
    def start_session(self, user: StaffUser) -> StaffSession:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = time.time()
        with self.engine.begin() as db:
            db.execute(delete(staff_sessions).where(staff_sessions.c.expires < now))
            db.execute(insert(staff_sessions).values(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf,
                                                     created=now, expires=now + self.session_seconds))
        return StaffSession(token, user, csrf, now + self.session_seconds)

    def session(self, token: str | None) -> StaffSession | None:
        if not token:
            return None
        query = (select(staff_sessions.c.csrf_token, staff_sessions.c.expires, staff_users.c.id, staff_users.c.username,
                        staff_users.c.display_name, staff_users.c.role)
                 .join(staff_users, staff_users.c.id == staff_sessions.c.user_id)
                 .where(staff_sessions.c.token_hash == _token_hash(token), staff_sessions.c.expires > time.time(),
                        staff_users.c.active == 1))
        with self.engine.connect() as db:
            row = db.execute(query).mappings().first()
        if row is None:
            return None
        user = StaffUser(row["id"], row["username"], row["display_name"], row["role"])
        return StaffSession(token, user, row["csrf_token"], row["expires"])

    def end_session(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == _token_hash(token)))
