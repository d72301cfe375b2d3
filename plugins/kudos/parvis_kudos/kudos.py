"""The rules of kudos: who may thank whom, who reads them, who withdraws them.

* Only a signed-in person gives kudos, to someone else whose card identity shows them
  (a guest: only people sharing a community; the check is identity's, asked with the
  caller's own context, so this service never re-implements the guest rule).
* Reading a person's kudos needs the same right as seeing their card; an unknown person
  and one the caller may not see get the same 404.
* The giver or a network admin withdraws a thank-you; anyone else who can read it: 403.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from parvis_contracts import cursors
from parvis_contracts.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed

from .events import KUDOS_GIVEN, KUDOS_WITHDRAWN
from .models import Kudos

NO_PERSON = "No such person."
NO_KUDOS = "No such kudos."


def require_person(caller):
    if caller is None or not caller.is_person:
        raise Unauthenticated("Sign in first.")
    return caller


def view(kudos: Kudos, caller) -> dict:
    return {
        "id": kudos.id,
        "giver_id": kudos.giver_id,
        "recipient_id": kudos.recipient_id,
        "message": kudos.message,
        "created_at": kudos.created_at,
        "can_withdraw": caller.is_admin or (kudos.giver_id is not None and kudos.giver_id == caller.user_id),
    }


def _event(kudos: Kudos) -> dict:
    return {"kudos_id": kudos.id, "giver_id": kudos.giver_id, "recipient_id": kudos.recipient_id}


def give(session, caller, visible_card, now: datetime, recipient_id: str, message: str) -> dict:
    """``visible_card(person_id)``: the person's card as the caller may see it, or None."""
    caller = require_person(caller)
    if recipient_id == caller.user_id:
        raise ValidationFailed("The request is not valid.", {"recipient_id": ["You cannot thank yourself."]})
    card = visible_card(recipient_id)
    if card is None:
        raise NotFound(NO_PERSON)
    if card.get("status") not in (None, "active"):
        raise ValidationFailed(
            "The request is not valid.", {"recipient_id": ["This person's account is not active."]}
        )
    kudos = Kudos(giver_id=caller.user_id, recipient_id=recipient_id, message=message, created_at=now)
    session.add(kudos)
    session.flush()
    session.emit(KUDOS_GIVEN, _event(kudos))
    session.commit()
    return view(kudos, caller)


def listing(session, caller, visible_card, person_id: str, limit: int, cursor: str | None) -> dict:
    """The kudos a person received, newest first (keyset on (created_at, id))."""
    caller = require_person(caller)
    if person_id != caller.user_id and visible_card(person_id) is None:
        raise NotFound(NO_PERSON)
    query = select(Kudos).where(Kudos.recipient_id == person_id)
    if cursor:
        stamp, row_id = cursors.decode(cursor, (datetime, str), "the kudos list")
        query = query.where((Kudos.created_at < stamp) | ((Kudos.created_at == stamp) & (Kudos.id < row_id)))
    rows = list(session.scalars(query.order_by(Kudos.created_at.desc(), Kudos.id.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode(rows[-1].created_at, rows[-1].id)
    return {"items": [view(k, caller) for k in rows], "next_cursor": next_cursor}


def withdraw(session, caller, visible_card, kudos_id: str) -> None:
    caller = require_person(caller)
    kudos = session.get(Kudos, kudos_id)
    # a thank-you is as visible as its recipient's card (the recipient sees their own)
    if kudos is None or (kudos.recipient_id != caller.user_id and visible_card(kudos.recipient_id) is None):
        raise NotFound(NO_KUDOS)
    if not (caller.is_admin or kudos.giver_id == caller.user_id):
        raise Forbidden("Only the person who gave it, or a network admin, can withdraw it.")
    session.emit(KUDOS_WITHDRAWN, _event(kudos))
    session.delete(kudos)
    session.commit()
