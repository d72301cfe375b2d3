"""People in the index, from identity's events: ``profile_changed`` (the whole searchable
profile, versioned), the organisations' names, and an erasure.

A person is three things here, written together in the handler's transaction:

* a row of ``search_people``: what their hit shows and the expertise finder filters on;
* their declared skills (``search_skills``, as identity normalised them: "Excel" is
  "excel"), with the trigrams of every known skill (``search_skill_grams``: suggestions);
* a row of ``search_items`` of kind ``person`` (no community): their name as the title;
  their job, department, organisation, skills, about (and education shown to everyone) as
  the text; their education shown to employees only as the ``restricted`` text, which a
  guest's query never matches. Stemmed in their preferred language. Hidden while the
  person is not active (invited, deactivated).

An event older than the profile applied (``version``) changes nothing; an erased person
stays as a tombstone holding nothing of them, so a late event does not bring them back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from .engines import APPLIED, STALE, Item, index_for
from .limits import NO_COMMUNITY
from .models import PersonSkill, SearchOrganisation, SearchPerson, SkillGram
from .text import words

P = SearchPerson.__table__
SKILLS = PersonSkill.__table__
GRAMS = SkillGram.__table__
ORGS = SearchOrganisation.__table__

#: the longest skill kept (identity's are at most 40 characters)
SKILL_KEPT_MAX = 80


# --- skills ----------------------------------------------------------------------------------


def normalised_skill(skill: str) -> str:
    """A skill as identity keeps it: blanks collapsed, lower case ("Excel" is "excel")."""
    return " ".join(str(skill).split()).lower()[:SKILL_KEPT_MAX]


def folded(skill: str) -> str:
    """A skill's words, accents folded, one space apart ("Mécanique  auto" -> "mecanique auto")."""
    return " ".join(words(skill))[:SKILL_KEPT_MAX]


def grams(text: str, prefix: bool = False) -> set[str]:
    """The trigrams of the words of ``text`` (folded already), each word padded with two
    spaces before and one after, as ``pg_trgm`` does; ``prefix``: the last word is the
    start of one (no padding after it)."""
    found: set[str] = set()
    parts = text.split()
    for i, word in enumerate(parts):
        padded = f"  {word}" + ("" if prefix and i == len(parts) - 1 else " ")
        found.update(padded[at : at + 3] for at in range(len(padded) - 2))
    return found


def _known_grams(session, skill: str, fold: str) -> None:
    for gram in grams(fold):
        try:
            with session.begin_nested():
                session.execute(insert(GRAMS).values(gram=gram, skill=skill))
        except IntegrityError:
            pass  # known already


def _forget_unheld(session, skills) -> None:
    """The trigrams of skills nobody holds any more go."""
    for skill in skills:
        held = session.execute(select(exists().where(SKILLS.c.skill == skill))).scalar()
        if not held:
            session.execute(delete(GRAMS).where(GRAMS.c.skill == skill))


def _set_skills(session, user_id: str, skills: list[str]) -> None:
    before = set(session.scalars(select(SKILLS.c.skill).where(SKILLS.c.user_id == user_id)))
    after = set(skills)
    gone = before - after
    if gone:
        session.execute(delete(SKILLS).where(SKILLS.c.user_id == user_id, SKILLS.c.skill.in_(sorted(gone))))
        _forget_unheld(session, sorted(gone))
    for skill in sorted(after - before):
        fold = folded(skill)
        session.execute(insert(SKILLS).values(user_id=user_id, skill=skill, folded=fold))
        _known_grams(session, skill, fold)


# --- organisations -----------------------------------------------------------------------------


def org_names(session, org_ids) -> dict[str, str]:
    ids = sorted(set(org_ids))
    if not ids:
        return {}
    return dict(session.execute(select(ORGS.c.org_id, ORGS.c.name).where(ORGS.c.org_id.in_(ids))).all())


def _set_org(session, org_id: str, name: str | None, kind: str | None, at: datetime) -> bool:
    """Keep the newest name of an organisation; True when it changed."""
    if not name:
        return False
    row = session.execute(select(ORGS.c.name, ORGS.c.updated_at).where(ORGS.c.org_id == org_id)).first()
    if row is None:
        try:
            with session.begin_nested():
                session.execute(insert(ORGS).values(org_id=org_id, name=name, kind=kind, updated_at=at))
            return True
        except IntegrityError:
            row = session.execute(
                select(ORGS.c.name, ORGS.c.updated_at).where(ORGS.c.org_id == org_id)
            ).first()
    if at < row.updated_at:
        return False  # a newer event named it already
    values = {"name": name, "updated_at": at}
    if kind is not None:
        values["kind"] = kind
    session.execute(update(ORGS).where(ORGS.c.org_id == org_id, ORGS.c.updated_at <= at).values(**values))
    return row.name != name


def organisation_changed(session, occurred_at: datetime, data: dict) -> None:
    """``identity.organisation_created`` / ``organisation_updated``: the newest name; when
    it changed, the texts of the organisation's people (which hold it) are made again."""
    if _set_org(session, data["org_id"], data["name"], data.get("kind"), occurred_at):
        people = session.execute(select(P).where(P.c.org_id == data["org_id"], P.c.erased.is_(False))).all()
        for person in people:
            _index(session, person._asdict(), data["name"], occurred_at)


# --- the profile -------------------------------------------------------------------------------


def texts(person: dict, org_name: str | None) -> tuple[str, str, str]:
    """(title, text, employees-only text) of a person's row of ``search_items``."""
    heading = " · ".join(x for x in (person.get("job_title"), person.get("department"), org_name) if x)
    lines = [heading, ", ".join(person.get("skills") or []), person.get("about") or ""]
    visibility = person.get("education_visibility")
    education = person.get("education") or ""
    if visibility == "everyone":
        lines.append(education)
    restricted = education if visibility == "employees" else ""
    return person.get("display_name") or "", "\n".join(line for line in lines if line), restricted


def _index(session, person: dict, org_name: str | None, at: datetime) -> None:
    title, body, restricted = texts(person, org_name)
    index_for(session).upsert(
        Item(
            kind="person",
            id=person["user_id"],
            community_id=NO_COMMUNITY,
            author_id=None,
            created_at=at,
            updated_at=at,
            title=title,
            body=body,
            restricted=restricted,
            language=person.get("preferred_language"),
            revision=person["version"],
            hidden=not person["active"],
        )
    )


def _sort_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def profile_changed(session, occurred_at: datetime, data: dict) -> str:
    """``identity.profile_changed``: the person's whole searchable profile, unless a newer
    version is applied already or the person was erased."""
    user_id = data["user_id"]
    skills = list(dict.fromkeys(normalised_skill(s) for s in data.get("skills") or [] if str(s).strip()))
    languages = list(dict.fromkeys(str(code).lower() for code in data.get("languages") or []))
    visibility = data.get("education_visibility") or "private"
    name = " ".join((data.get("display_name") or "").split())
    values = {
        "org_id": data["org_id"],
        "guest": bool(data["guest"]),
        "active": bool(data["active"]),
        "display_name": name,
        "sort_name": _sort_key(name),
        "job_title": data.get("job_title"),
        "department": data.get("department"),
        "country": data.get("country"),
        "languages": languages,
        "languages_text": "," + "".join(f"{code}," for code in languages),
        "preferred_language": data.get("preferred_language"),
        "skills": skills,
        "about": data.get("about"),
        "education": data.get("education") if visibility in ("everyone", "employees") else None,
        "education_visibility": visibility,
        "version": data["version"],
        "updated_at": occurred_at,
    }
    if _apply(session, user_id, values) != APPLIED:
        return STALE
    _set_org(session, data["org_id"], data.get("org_name"), None, occurred_at)
    _set_skills(session, user_id, skills)
    person = {**values, "user_id": user_id}
    _index(session, person, org_names(session, [data["org_id"]]).get(data["org_id"]), occurred_at)
    return APPLIED


def _apply(session, user_id: str, values: dict) -> str:
    """Update the person's row unless it holds a newer version or a tombstone; insert it if
    missing (the version test is in the UPDATE's WHERE, so two replicas applying two events
    of one person at once cannot let the older one win)."""
    for _ in range(2):
        done = session.execute(
            update(P)
            .where(P.c.user_id == user_id, P.c.version <= values["version"], P.c.erased.is_(False))
            .values(**values)
        )
        if done.rowcount:
            return APPLIED
        if session.execute(select(P.c.version).where(P.c.user_id == user_id)).first() is not None:
            return STALE
        try:
            with session.begin_nested():
                session.execute(insert(P).values(user_id=user_id, erased=False, **values))
            return APPLIED
        except IntegrityError:
            continue  # inserted by a concurrent handler meanwhile: compare again
    raise RuntimeError("could not apply the profile")  # pragma: no cover


# --- erasure -----------------------------------------------------------------------------------

_FORGOTTEN = {
    "active": False,
    "display_name": "",
    "sort_name": "",
    "job_title": None,
    "department": None,
    "country": None,
    "languages": [],
    "languages_text": ",",
    "preferred_language": None,
    "skills": [],
    "about": None,
    "education": None,
    "education_visibility": "private",
    "erased": True,
}


def forget(session, user_id: str, at: datetime) -> dict:
    """The person's account was erased: their profile leaves the index for good (a
    tombstone without anything of them), their skills with it."""
    found = session.execute(select(P.c.org_id, P.c.guest).where(P.c.user_id == user_id)).first()
    if found is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(P).values(
                        user_id=user_id, org_id="", guest=False, version=0, updated_at=at, **_FORGOTTEN
                    )
                )
        except IntegrityError:
            pass
    session.execute(update(P).where(P.c.user_id == user_id).values(**_FORGOTTEN))
    held = list(session.scalars(select(SKILLS.c.skill).where(SKILLS.c.user_id == user_id)))
    session.execute(delete(SKILLS).where(SKILLS.c.user_id == user_id))
    _forget_unheld(session, held)
    index_for(session).remove("person", user_id, NO_COMMUNITY, at)
    return {"profile": found is not None, "skills": len(held)}


# --- what a person's hit shows -------------------------------------------------------------------


def cards(session, person_ids) -> dict[str, dict]:
    """``user_id -> what a hit or an expert shows`` (job, department, country, organisation,
    guest, languages, skills)."""
    ids = sorted(set(person_ids))
    rows = []
    for at in range(0, len(ids), 500):
        rows += session.execute(select(P).where(P.c.user_id.in_(ids[at : at + 500]))).all()
    names = org_names(session, [r.org_id for r in rows])
    return {
        r.user_id: {
            "display_name": r.display_name,
            "job_title": r.job_title,
            "department": r.department,
            "country": r.country,
            "org_id": r.org_id,
            "org_name": names.get(r.org_id),
            "guest": bool(r.guest),
            "languages": list(r.languages or []),
            "skills": list(r.skills or []),
            "sort_name": r.sort_name,
        }
        for r in rows
    }


def export(session, person_id: str) -> dict | None:
    """What the index keeps of the person's profile (their GDPR export)."""
    row = session.execute(select(P).where(P.c.user_id == person_id, P.c.erased.is_(False))).first()
    if row is None:
        return None
    return {
        "display_name": row.display_name,
        "job_title": row.job_title,
        "department": row.department,
        "country": row.country,
        "languages": list(row.languages or []),
        "skills": list(row.skills or []),
        "about": row.about,
        "education": row.education,
        "education_visibility": row.education_visibility,
        "active": bool(row.active),
        "version": row.version,
    }
