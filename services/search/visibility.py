"""Who may read what the search finds: in the query, then once more for each hit.

Posts, comments, pages and documents follow the membership read model's rule
(``parvis_contracts.membership``), the one the feed and the documents apply when the thing
itself is opened: a member of the community who may see content of that date (the
newcomers' rule), or an employee, not a guest, reading an open community. Nobody else: a
secret or private community never gives a result to a non-member, network admins included
(they manage communities, they do not read them).

A community itself follows the communities service's directory (docs/security.md, the
access table): its members, and every employee for an open one, find it by its name and
its description ("full"); a network admin, and an employee for a private one, find it by
its name only and see no description ("metadata"); a secret one never appears to a
non-member who is not an admin; a guest finds only their own communities.

A person follows identity's directory (``services/identity/access.py``): an employee finds
every active person, a guest only themself and the people they share a community with (in
this service's membership read model); a guest never matches what only employees may read
(``Readable.restricted``: the engines leave that column out of the guest's query).

:class:`ReadableBy` puts these rules in the SELECT (the engine joins them,
``engines.Readable``); :func:`recheck` asks them again of every hit, in Python, before
anything is returned: a change of the rule in one place that the other missed drops a
result, it never shows one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, exists, false, not_, or_, select, true

from parvis_contracts.errors import Forbidden, NotFound
from parvis_contracts.membership import CommunityInfo, Viewer

from . import text
from .engines import Hit
from .limits import CONTENT_KINDS
from .models import MEMBERSHIP, SearchPerson

FULL = "full"
METADATA = "metadata"


class ReadableBy:
    """The rules for ``viewer``, as the engines' query applies them."""

    def __init__(self, viewer: Viewer):
        self.viewer = viewer
        #: employees may match a person's employees-only fields; a guest never
        self.restricted = not viewer.guest

    def join(self, source, community_id):
        c, m = MEMBERSHIP.communities, MEMBERSHIP.memberships
        return source.outerjoin(c, c.c.id == community_id).outerjoin(
            m, MEMBERSHIP.viewer_membership(self.viewer, community_id)
        )

    def clause(self, item, created_at, title_match, whole_match):
        c = MEMBERSHIP.communities
        known = c.c.id.is_not(None)
        # a CASE, not an OR of (kind = ... AND ...): a planner would take the kinds out of it
        # as an index condition and prefer it to the full-text index
        return case(
            (
                item.c.kind.in_(CONTENT_KINDS),
                and_(known, MEMBERSHIP.readable(self.viewer, created_at), whole_match),
            ),
            (
                item.c.kind == "community",
                and_(
                    known,
                    or_(
                        and_(self.community_content(), whole_match),
                        and_(not_(self.community_content()), self.community_listed(), title_match),
                    ),
                ),
            ),
            (item.c.kind == "person", and_(self.person_visible(item.c.item_id), whole_match)),
            else_=false(),
        )

    # --- the pieces, on (the row, its community, the viewer's membership of it) ----------

    def community_content(self):
        """The viewer reads the community (its description): a member, or an employee
        for an open one."""
        c, m = MEMBERSHIP.communities, MEMBERSHIP.memberships
        member = m.c.user_id.is_not(None)
        if self.viewer.guest:
            return member
        return or_(member, c.c.visibility == "open")

    def community_listed(self):
        """The viewer sees the community's name: an admin always, an employee for an
        open or private one (members: :meth:`community_content`)."""
        c = MEMBERSHIP.communities
        if self.viewer.guest:
            return false()
        if self.viewer.admin:
            return true()
        return c.c.visibility.in_(("open", "private"))

    def person_visible(self, person_id):
        """The person's profile is visible to the viewer (identity's directory rule)."""
        if not self.viewer.guest:
            return true()
        return or_(person_id == self.viewer.id, shares_a_community(self.viewer.id, person_id))


def shares_a_community(viewer_id: str, person_id):
    """EXISTS: ``viewer_id`` and the person (a column or a value) are both current members
    of one community."""
    m = MEMBERSHIP.memberships
    mine, theirs = m.alias("mine"), m.alias("theirs")
    return exists(
        select(mine.c.community_id)
        .join(theirs, theirs.c.community_id == mine.c.community_id)
        .where(
            mine.c.user_id == viewer_id,
            mine.c.removed.is_(False),
            theirs.c.user_id == person_id,
            theirs.c.removed.is_(False),
        )
    )


def people_clause(viewer: Viewer):
    """WHERE on ``search_people``: an active person the viewer may see."""
    p = SearchPerson.__table__
    active = and_(p.c.active.is_(True), p.c.erased.is_(False))
    if not viewer.guest:
        return active
    return and_(active, or_(p.c.user_id == viewer.id, shares_a_community(viewer.id, p.c.user_id)))


def visible_people(session, viewer: Viewer, person_ids) -> set[str]:
    """The ids among ``person_ids`` of active people the viewer may see."""
    ids = sorted(set(person_ids))
    found: set[str] = set()
    p = SearchPerson.__table__
    for at in range(0, len(ids), 500):
        found |= set(
            session.scalars(
                select(p.c.user_id).where(p.c.user_id.in_(ids[at : at + 500]), people_clause(viewer))
            )
        )
    return found


@dataclass(frozen=True)
class CommunityAccess:
    community: CommunityInfo
    #: FULL (name and description) or METADATA (the name only)
    level: str


def community_access(session, viewer: Viewer, community_id: str) -> CommunityAccess | None:
    """What the viewer sees of a community as a search result (None: nothing)."""
    community = MEMBERSHIP.community(session, community_id)
    if community is None:
        return None
    member = MEMBERSHIP.member(session, community_id, viewer.id)
    if member is not None or (not viewer.guest and community.visibility == "open"):
        return CommunityAccess(community, FULL)
    if viewer.admin or (not viewer.guest and community.visibility == "private"):
        return CommunityAccess(community, METADATA)
    return None


@dataclass(frozen=True)
class Kept:
    """A hit the viewer may see, with what it is shown with: its community (content), the
    community's access (a community), nothing more (a person)."""

    hit: Hit
    community: CommunityInfo | None = None
    level: str | None = None


def recheck(session, viewer: Viewer, hits: list[Hit], query: text.Query | None = None) -> list[Kept]:
    """The hits ``viewer`` may see, asked one community (one page of people) at a time."""
    access: dict = {}
    communities: dict = {}
    people = visible_people(session, viewer, [h.id for h in hits if h.kind == "person"])
    kept = []
    for hit in hits:
        if hit.kind == "person":
            if hit.id in people:
                kept.append(Kept(hit))
            continue
        if hit.kind == "community":
            if hit.id not in communities:
                communities[hit.id] = community_access(session, viewer, hit.id)
            seen = communities[hit.id]
            if seen is None:
                continue
            if seen.level == METADATA and not (
                query is not None and query.matches(hit.title_terms, hit.stemmed_as)
            ):
                continue  # found by its description, which this viewer may not read
            kept.append(Kept(hit, seen.community, seen.level))
            continue
        if hit.community_id not in access:
            try:
                access[hit.community_id] = MEMBERSHIP.access(session, viewer, hit.community_id)
            except (NotFound, Forbidden):
                access[hit.community_id] = None
        found = access[hit.community_id]
        if found is not None and hit.thread_at is not None and found.sees_date(hit.thread_at):
            kept.append(Kept(hit, found.community))
    return kept
