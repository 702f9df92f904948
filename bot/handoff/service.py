"""The handoff queue and live chat between a resident and a service advisor, kept in the database.

Everything is persisted (queue, messages, presence), so a restart loses nothing and several app
instances sharing the database see the same queue. Resident text arrives here already redacted.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import Engine, and_, delete, func, insert, select, update

from bot.db.tables import advisor_presence, callback_requests, handoff_messages, handoffs
from bot.handoff.notify import Notifier
from bot.service_hours import ServiceHours
from bot.staff.accounts import StaffUser

OPEN_STATUSES = ("waiting", "active")
# Finnish mobile and landline numbers, domestic or +358, with spaces or dashes.
PHONE = re.compile(r"^(\+358|0)[1-9][0-9 \-]{4,14}$")


class HandoffError(ValueError):
    """A handoff step that cannot be done (already accepted, already ended, bad phone number…)."""


@dataclass(frozen=True)
class Availability:
    status: str  # open, closed (outside service hours), no_advisor (in hours but nobody signed in)
    advisors_online: int


class HandoffService:
    def __init__(self, engine: Engine, hours: ServiceHours, notifier: Notifier, presence_timeout_s: float = 90,
                 callback_retention_days: int = 14) -> None:
        self.engine = engine
        self.hours = hours
        self.notifier = notifier
        self.presence_timeout_s = presence_timeout_s
        self.callback_retention_days = callback_retention_days
        self.clock = time.time  # replaceable in tests to stand at a given moment of the week

    # availability -----------------------------------------------------------------------------
    def heartbeat(self, advisor: StaffUser) -> None:
        """An advisor has the queue page open; they count as online for presence_timeout_s."""
        now = time.time()
        with self.engine.begin() as db:
            changed = db.execute(update(advisor_presence).where(advisor_presence.c.user_id == advisor.id)
                                 .values(last_seen=now, display_name=advisor.display_name)).rowcount
            if not changed:
                db.execute(insert(advisor_presence).values(user_id=advisor.id, display_name=advisor.display_name,
                                                           last_seen=now))

    def sign_off(self, advisor: StaffUser) -> None:
        with self.engine.begin() as db:
            db.execute(delete(advisor_presence).where(advisor_presence.c.user_id == advisor.id))

    def advisors_online(self) -> int:
        since = time.time() - self.presence_timeout_s
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(advisor_presence)
                              .where(advisor_presence.c.last_seen >= since)).scalar_one()

    def availability(self) -> Availability:
        online = self.advisors_online()
        if not self.hours.is_open(self.clock()):
            return Availability("closed", online)
        return Availability("open" if online else "no_advisor", online)

    # resident side ----------------------------------------------------------------------------
    def open_handoff(self, conversation: str) -> dict | None:
        with self.engine.connect() as db:
            row = db.execute(select(handoffs).where(handoffs.c.conversation == conversation,
                                                    handoffs.c.status.in_(OPEN_STATUSES))
                             .order_by(handoffs.c.id.desc())).mappings().first()
        return dict(row) if row else None

    def latest_handoff(self, conversation: str) -> dict | None:
        with self.engine.connect() as db:
            row = db.execute(select(handoffs).where(handoffs.c.conversation == conversation)
                             .order_by(handoffs.c.id.desc())).mappings().first()
        return dict(row) if row else None

    def request(self, conversation: str, lang: str, reason: str = "human_requested") -> dict:
        """Join the queue (or stay in it: asking twice does not make a second place)."""
        existing = self.open_handoff(conversation)
        if existing:
            return existing
        with self.engine.begin() as db:
            handoff_id = db.execute(insert(handoffs).values(
                conversation=conversation, lang=lang, status="waiting", reason=reason,
                requested_ts=time.time())).inserted_primary_key[0]
        self.notifier.publish()
        return self.get(handoff_id)

    def position(self, handoff: dict) -> int | None:
        """1 for the first in the queue; None once an advisor has accepted."""
        if handoff["status"] != "waiting":
            return None
        with self.engine.connect() as db:
            ahead = db.execute(select(func.count()).select_from(handoffs).where(
                handoffs.c.status == "waiting", handoffs.c.id < handoff["id"])).scalar_one()
        return ahead + 1

    def resident_message(self, conversation: str, text: str) -> dict:
        handoff = self.open_handoff(conversation)
        if handoff is None:
            raise HandoffError("no open handoff for this conversation")
        self._add_message(handoff["id"], "resident", text)
        return handoff

    def cancel(self, conversation: str) -> dict | None:
        handoff = self.open_handoff(conversation)
        if handoff is None:
            return None
        self._finish(handoff["id"], "resident", "cancelled" if handoff["status"] == "waiting" else "ended")
        return self.get(handoff["id"])

    # advisor side -----------------------------------------------------------------------------
    def queue(self) -> list[dict]:
        """Waiting residents first-come-first-served, then the conversations advisors have open."""
        with self.engine.connect() as db:
            rows = db.execute(select(handoffs).where(handoffs.c.status.in_(OPEN_STATUSES))
                              .order_by(handoffs.c.status.desc(), handoffs.c.requested_ts)).mappings().all()
        return [dict(r) for r in rows]

    def accept(self, handoff_id: int, advisor: StaffUser) -> dict:
        """Take a waiting resident; only one advisor can win a race for the same resident."""
        with self.engine.begin() as db:
            won = db.execute(update(handoffs).where(handoffs.c.id == handoff_id, handoffs.c.status == "waiting")
                             .values(status="active", accepted_ts=time.time(), advisor_id=advisor.id,
                                     advisor_name=advisor.display_name)).rowcount
        if not won:
            current = self.get(handoff_id)
            if current is None:
                raise HandoffError("no such handoff")
            raise HandoffError("another advisor already took this conversation" if current["status"] == "active"
                               else "the resident is no longer waiting")
        self._add_message(handoff_id, "system", "advisor_joined")
        return self.get(handoff_id)

    def advisor_message(self, handoff_id: int, advisor: StaffUser, text: str) -> None:
        handoff = self.get(handoff_id)
        if handoff is None or handoff["status"] != "active":
            raise HandoffError("the conversation is not active")
        if handoff["advisor_id"] != advisor.id and advisor.role != "admin":
            raise HandoffError("another advisor has this conversation")
        self._add_message(handoff_id, "advisor", text)

    def end(self, handoff_id: int, advisor: StaffUser) -> dict:
        handoff = self.get(handoff_id)
        if handoff is None or handoff["status"] not in OPEN_STATUSES:
            raise HandoffError("the conversation has already ended")
        self._finish(handoff_id, "advisor", "ended")
        return self.get(handoff_id)

    # shared -----------------------------------------------------------------------------------
    def get(self, handoff_id: int) -> dict | None:
        with self.engine.connect() as db:
            row = db.execute(select(handoffs).where(handoffs.c.id == handoff_id)).mappings().first()
        return dict(row) if row else None

    def messages(self, handoff_id: int, after_id: int = 0) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(select(handoff_messages).where(
                and_(handoff_messages.c.handoff_id == handoff_id, handoff_messages.c.id > after_id))
                .order_by(handoff_messages.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def _add_message(self, handoff_id: int, sender: str, text: str) -> None:
        with self.engine.begin() as db:
            db.execute(insert(handoff_messages).values(handoff_id=handoff_id, ts=time.time(), sender=sender, text=text))
        self.notifier.publish()

    def _finish(self, handoff_id: int, by: str, status: str) -> None:
        with self.engine.begin() as db:
            db.execute(update(handoffs).where(handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN_STATUSES))
                       .values(status=status, ended_ts=time.time(), ended_by=by))
        self._add_message(handoff_id, "system", f"{status}_by_{by}")

    def delete_conversation(self, conversation: str) -> None:
        with self.engine.begin() as db:
            ids = select(handoffs.c.id).where(handoffs.c.conversation == conversation)
            db.execute(delete(handoff_messages).where(handoff_messages.c.handoff_id.in_(ids)))
            db.execute(delete(handoffs).where(handoffs.c.conversation == conversation))
            db.execute(delete(callback_requests).where(callback_requests.c.conversation == conversation))

    # call-back requests -----------------------------------------------------------------------
    def request_callback(self, conversation: str, phone: str, preferred_time: str, topic: str, lang: str) -> dict:
        """Keep the number the resident chose to give, for this request only, for a limited time."""
        phone = phone.strip()
        if not PHONE.match(phone):
            raise HandoffError("phone number must be a Finnish number such as 040 123 4567 or +358 40 123 4567")
        now = time.time()
        with self.engine.begin() as db:
            request_id = db.execute(insert(callback_requests).values(
                ts=now, conversation=conversation, phone=phone, preferred_time=preferred_time.strip()[:120],
                topic=topic.strip()[:500], lang=lang, status="open",
                expires=now + self.callback_retention_days * 86400)).inserted_primary_key[0]
        self.notifier.publish()
        return {"id": request_id, "retention_days": self.callback_retention_days}

    def callbacks(self, status: str = "open") -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(select(callback_requests).where(callback_requests.c.status == status)
                              .order_by(callback_requests.c.ts)).mappings().all()
        return [dict(r) for r in rows]

    def callback_done(self, request_id: int, advisor: StaffUser) -> None:
        """Handled: the phone number is erased at once; the request stays for statistics."""
        with self.engine.begin() as db:
            changed = db.execute(update(callback_requests).where(callback_requests.c.id == request_id,
                                                                 callback_requests.c.status == "open")
                                 .values(status="done", phone=None, handled_by=advisor.display_name)).rowcount
        if not changed:
            raise HandoffError("no open call-back request with that id")
        self.notifier.publish()

    def purge(self, retention_days: int, now: float | None = None) -> int:
        """Erase expired call-back numbers, and handoffs (with their messages) older than retention."""
        now = now or time.time()
        cutoff = now - retention_days * 86400
        with self.engine.begin() as db:
            removed = db.execute(update(callback_requests).where(callback_requests.c.expires < now,
                                                                 callback_requests.c.phone.is_not(None))
                                 .values(phone=None, status="expired")).rowcount
            old = select(handoffs.c.id).where(handoffs.c.requested_ts < cutoff,
                                              handoffs.c.status.not_in(OPEN_STATUSES))
            removed += db.execute(delete(handoff_messages).where(handoff_messages.c.handoff_id.in_(old))).rowcount
            removed += db.execute(delete(handoffs).where(handoffs.c.requested_ts < cutoff,
                                                         handoffs.c.status.not_in(OPEN_STATUSES))).rowcount
            removed += db.execute(delete(callback_requests).where(callback_requests.c.ts < cutoff)).rowcount
        return removed
