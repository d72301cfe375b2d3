"""Asking identity about people, for a service that needs to know who someone is.

Identity decides what the caller may see (a guest: only people sharing a community); a
service passes the caller's own context along (nameko carries it on the nested call), so
the answer is already fenced, and an invisible person looks exactly like an unknown one.
"""

from __future__ import annotations

from nameko.exceptions import UnknownService

from .errors import Unavailable


def visible_card(identity, person_id: str) -> dict | None:
    """The person's card as the caller may see it, or None; ``identity`` is the service's
    ``RpcProxy("identity")``. Identity not running is a 503, never a silent None."""
    try:
        cards = identity.people_cards(person_ids=[person_id])
    except UnknownService:
        raise Unavailable("The identity service is not available.") from None
    return (cards or {}).get(person_id)
