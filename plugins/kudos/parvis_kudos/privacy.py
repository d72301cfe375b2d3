"""Privacy (GDPR): the kudos a person gave and received, and their erasure.

Export (the person or a network admin): both lists, other people by id only. On
``identity.user_erased`` the thanks the person received go (they are about them), the
ones they gave stay for their recipients, from "a former member" (``giver_id`` None).
Handling the event twice finds nothing left to change.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from parvis_contracts.privacy import iso, require_self_or_admin

from .models import Kudos


def _item(kudos: Kudos) -> dict:
    return {
        "kudos_id": kudos.id,
        "giver_id": kudos.giver_id,
        "recipient_id": kudos.recipient_id,
        "message": kudos.message,
        "created_at": iso(kudos.created_at),
    }


def export(session, caller, person_id: str) -> dict:
    require_self_or_admin(caller, person_id)
    order = (Kudos.created_at, Kudos.id)
    given = session.scalars(select(Kudos).where(Kudos.giver_id == person_id).order_by(*order))
    received = session.scalars(select(Kudos).where(Kudos.recipient_id == person_id).order_by(*order))
    return {
        "service": "kudos",
        "person_id": person_id,
        "kudos_given": [_item(k) for k in given],
        "kudos_received": [_item(k) for k in received],
    }


def forget_person(session, person_id: str) -> None:
    session.execute(delete(Kudos).where(Kudos.recipient_id == person_id))
    session.execute(update(Kudos).where(Kudos.giver_id == person_id).values(giver_id=None))
