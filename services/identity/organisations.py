"""Organisations: exactly one host company, and the partner organisations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, ValidationFailed, not_found

from .access import Viewer, require_admin, require_person
from .models import Organisation, Person


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def host(session) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.kind == "host")).first()


def view(org: Organisation, people_count: int) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "country": org.country,
        "is_host": org.kind == "host",
        "people_count": people_count,
    }


def _counts(session, ids) -> dict[str, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Person.org_id, func.count(Person.id))
        .where(Person.org_id.in_(list(ids)), Person.status != "deactivated")
        .group_by(Person.org_id)
    )
    return dict(rows.all())


def views(session, orgs) -> list[dict]:
    counts = _counts(session, [o.id for o in orgs])
    return [view(o, counts.get(o.id, 0)) for o in orgs]


def _check_name_free(session, name: str, except_id: str | None = None) -> str:
    key = name_key(name)
    if not key:
        raise ValidationFailed("The request is not valid.", {"name": ["The name cannot be blank."]})
    existing = session.scalars(select(Organisation).where(Organisation.name_key == key)).first()
    if existing is not None and existing.id != except_id:
        raise Conflict("An organisation with this name already exists.", {"name": name})
    return key


def add(session, name: str, kind: str, country: str, now: datetime) -> Organisation:
    """Create an organisation and its event (no commit)."""
    name = " ".join(name.split())
    key = _check_name_free(session, name)
    if kind == "host" and host(session) is not None:
        raise Conflict("The network already has its host company.")
    org = Organisation(name=name, name_key=key, kind=kind, country=country, created_at=now)
    session.add(org)
    session.flush()
    session.emit(ev.IDENTITY_ORGANISATION_CREATED, {"org_id": org.id, "name": org.name, "kind": org.kind})
    return org


def create(session, viewer: Viewer, now: datetime, name: str, kind: str, country: str) -> dict:
    require_admin(viewer)
    org = add(session, name, kind, country, now)
    session.commit()
    return view(org, 0)


def update(session, viewer: Viewer, org_id: str, changes: dict) -> dict:
    require_admin(viewer)
    org = session.get(Organisation, org_id)
    if org is None:
        raise not_found("organisation")
    if "kind" in changes and changes["kind"] != org.kind:
        if org.kind == "host" or changes["kind"] == "host":
            raise ValidationFailed(
                "The request is not valid.",
                {"kind": ["The host company stays the host; no other organisation can become it."]},
            )
        org.kind = changes["kind"]
    if "name" in changes:
        name = " ".join(changes["name"].split())
        org.name_key = _check_name_free(session, name, except_id=org.id)
        org.name = name
    if "country" in changes:
        org.country = changes["country"]
    # people's cards carry their organisation's name
    session.emit(ev.IDENTITY_ORGANISATION_UPDATED, {"org_id": org.id, "name": org.name, "kind": org.kind})
    session.commit()
    return views(session, [org])[0]


def listing(session, viewer: Viewer) -> list[dict]:
    query = select(Organisation).order_by(Organisation.kind != "host", Organisation.name_key)
    if viewer.guest:
        query = query.where(Organisation.id == require_person(viewer).org_id)
    return views(session, list(session.scalars(query)))
