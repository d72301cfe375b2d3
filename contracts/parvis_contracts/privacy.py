"""What the services share for GDPR: one's data exported, an erased person forgotten.

Each service keeps its own ``privacy`` module with two functions,
``export(session, caller, person_id) -> dict`` (what it holds about the person)
and ``forget_person(session, user_id) -> dict`` (no commit: the handler commits
with the processed-event mark), and inherits :class:`PersonDataEntrypoints`,
which exposes them as the ``export_person_data`` RPC and the handler of
``identity.user_erased``::

    class FeedService(PersonDataEntrypoints, ...):
        person_data = privacy           # the service's own module

Identity erases accounts and answers for itself (its own module).
"""

from __future__ import annotations

import re

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate
from sqlalchemy import Text, cast, select, update

from . import events as ev
from .entrypoints import rpc, transactional
from .errors import Forbidden, Unauthenticated
from .handlers import idempotent_handler
from .schemas import load

#: how an erased person is named wherever their name was written (mentions)
FORMER_MEMBER = "Former member"


class PersonIdIn(Schema):
    class Meta:
        unknown = RAISE

    person_id = fields.String(required=True, validate=validate.Length(1, 64))


class ErasedIn(Schema):
    """``identity.user_erased``: only the id is read."""

    class Meta:
        unknown = EXCLUDE

    user_id = fields.String(required=True, validate=validate.Length(1, 64))


def iso(value):
    return value.isoformat() if value is not None else None


def require_self_or_admin(caller, person_id: str) -> None:
    """The person themself or a network admin (a signed-in caller: 401 otherwise)."""
    if caller is None or not (caller.is_person or caller.is_system):
        raise Unauthenticated("Sign in first.")
    if caller.is_admin or (caller.is_person and caller.user_id == person_id):
        return
    raise Forbidden("Only the person themself or a network admin can do this.")


def _mention_pattern(user_id: str) -> re.Pattern:
    return re.compile(r"@\[[^\[\]\n]{1,120}\]\(" + re.escape(user_id) + r"\)")


def anonymise_mentions(text: str, user_id: str) -> str:
    """``@[Any Name](<user_id>)`` becomes ``@[Former member](<user_id>)``."""
    return _mention_pattern(user_id).sub(f"@[{FORMER_MEMBER}]({user_id})", text)


def scrub_outbox(session, user_id: str) -> int:
    """The outbox keeps the events it published (their bodies): rewrite the mentions of
    the person there too, so no copy of their name stays in the database. No commit."""
    table = session.outbox_table
    rows = session.execute(
        select(table.c.id, table.c.payload).where(
            cast(table.c.payload, Text).contains(f"]({user_id})", autoescape=True)
        )
    ).all()
    changed = 0
    for row_id, payload in rows:
        payload = dict(payload or {})
        fresh = {
            key: anonymise_mentions(value, user_id) if isinstance(value, str) else value
            for key, value in payload.items()
        }
        if fresh != payload:
            session.execute(update(table).where(table.c.id == row_id).values(payload=fresh))
            changed += 1
    return changed


class PersonDataEntrypoints:
    """``export_person_data`` (the person or an admin; the module checks) and the
    idempotent handler of ``identity.user_erased``, over the service's ``person_data``
    module. Needs the ``db`` and ``caller`` dependencies every service has."""

    person_data = None

    @rpc
    @transactional
    def export_person_data(self, person_id):
        data = load(PersonIdIn(), {"person_id": person_id})
        return self.person_data.export(self.db, self.caller, **data)

    @idempotent_handler(ev.IDENTITY_USER_ERASED)
    def on_user_erased(self, envelope):
        data = load(ErasedIn(), envelope.data)
        return self.person_data.forget_person(self.db, data["user_id"])
