"""The expertise finder ("who knows about X?") and the skill suggestions as one types.

**Who is listed.** The active people the viewer may see (identity's directory rule,
``visibility.people_clause``: a guest, only those they share a community with) who either
declared a skill answering the question, or wrote about it where the viewer may read it:

* a declared skill answers when it is the one asked (accents and case aside: "Excel" is
  "excel"; ``DECLARED_EXACT``), or holds every word asked, each as the start of one of its
  words or in the same stem (``DECLARED_PARTIAL``: "brakes" answers "hydraulic brake");
* the evidence is what the search finds for the skill's words (each text in its own
  language, ``text.parse``) among the posts, comments, pages and documents the viewer may
  read (the very visibility rule of the search, ``visibility.ReadableBy``), counted by
  author: accepted answers (a comment accepted as the answer, found itself or as the
  answer of a question found), posts, comments, pages, documents. What the viewer may not
  read is never counted, so it never shows in a reason either.

**Order.** A score: the declared skill's, plus each kind of evidence's weight
(``EVIDENCE_WEIGHTS``) times its count (at most ``EVIDENCE_COUNTED`` a kind); then by name.
Each result says why (``reasons``: the declared skill, then the counts), for the interface
to word ("3 accepted answers about hydraulic brakes"). Paged by a keyset cursor (score,
name, id) over the ranked list.

**Filters.** The person's country, a language they speak, their organisation, a community
they are a member of — one whose members the viewer may see (a member, or an employee for
an open community); another gives an empty page, as the search does.

**Suggestions** (:func:`suggest`): the known skills (of people the viewer may see) with a
word starting with what was typed, then, from three characters on, those whose word starts
with it give or take a typo or two (``SKILL_TYPOS``; the trigrams of every skill narrow
the candidates, ``people.grams``, as ``pg_trgm`` would on PostgreSQL, on both engines).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import and_, exists, func, select

from parvis_contracts import cursors
from parvis_contracts.errors import Forbidden, NotFound, ValidationFailed
from parvis_contracts.membership import Viewer

from . import people, text, visibility
from .engines import index_for
from .limits import (
    DECLARED_EXACT,
    DECLARED_PARTIAL,
    EVIDENCE_COUNTED,
    EVIDENCE_ROWS_MAX,
    EVIDENCE_WEIGHTS,
    EXPERT_CANDIDATES_MAX,
    EXPERT_REASONS,
    SKILL_CANDIDATES_MAX,
    SKILL_TYPOS,
    STEMMERS,
)
from .models import MEMBERSHIP, PersonSkill, SearchPerson, SkillGram

P = SearchPerson.__table__
S = PersonSkill.__table__
G = SkillGram.__table__

#: the evidence of each kind of thing found
EVIDENCE_OF = {"post": "posts", "comment": "comments", "page": "pages", "document": "documents"}


# --- matching a declared skill -----------------------------------------------------------------


def _same_word(asked: str, held: str) -> bool:
    """One word asked answered by one word of a declared skill (both folded)."""
    if held.startswith(asked) or (len(held) >= 4 and asked.startswith(held)):
        return True
    return any(text.stem(language, asked) == text.stem(language, held) for language in STEMMERS)


def skill_answers(asked: list[str], folded_skill: str) -> bool:
    """Every word asked has its word in the declared skill."""
    held = folded_skill.split()
    return all(any(_same_word(word, mine) for mine in held) for word in asked)


def _candidate_skills(session, asked: list[str]) -> list[str]:
    """Known skills with, for every word asked, a word starting as it does (its first four
    letters at most): narrowed by the trigrams' index, checked by :func:`skill_answers`."""
    found: set[str] | None = None
    for word in asked:
        wanted = people.grams(word[:4], prefix=True)
        holding = set(
            session.scalars(
                select(G.c.skill)
                .where(G.c.gram.in_(sorted(wanted)))
                .group_by(G.c.skill)
                .having(func.count(G.c.gram) == len(wanted))
            )
        )
        found = holding if found is None else found & holding
        if not found:
            return []
    return sorted(found or ())


# --- who may be listed -------------------------------------------------------------------------


def _filters(country, language, org_id, community_id) -> list:
    where = []
    if country:
        where.append(P.c.country == country)
    if language:
        where.append(P.c.languages_text.contains(f",{language},", autoescape=True))
    if org_id:
        where.append(P.c.org_id == org_id)
    if community_id:
        m = MEMBERSHIP.memberships
        where.append(
            exists().where(
                m.c.community_id == community_id, m.c.user_id == P.c.user_id, m.c.removed.is_(False)
            )
        )
    return where


def _members_visible(session, viewer: Viewer, community_id: str) -> bool:
    """The viewer may see who is in the community (they may read it)."""
    try:
        MEMBERSHIP.access(session, viewer, community_id)
    except (NotFound, Forbidden):
        return False
    return True


def _listable(session, viewer: Viewer, ids, where: list) -> set[str]:
    ids = sorted(set(ids))
    found: set[str] = set()
    for at in range(0, len(ids), 500):
        found |= set(
            session.scalars(
                select(P.c.user_id).where(
                    P.c.user_id.in_(ids[at : at + 500]), visibility.people_clause(viewer), *where
                )
            )
        )
    return found


# --- the evidence ---------------------------------------------------------------------------------


def evidence(session, viewer: Viewer, query: text.Query) -> dict[str, Counter]:
    """``author -> Counter(reason -> count)`` of what the viewer may read on the query."""
    index = index_for(session)
    counts: dict[str, Counter] = defaultdict(Counter)
    accepted: set[str] = set()
    posts: list[str] = []
    for kind, item_id, author_id, _post_id, is_accepted in index.evidence(
        query, visibility.ReadableBy(viewer), EVIDENCE_ROWS_MAX
    ):
        if kind == "comment" and is_accepted:
            accepted.add(item_id)
            counts[author_id]["accepted_answers"] += 1
            continue
        counts[author_id][EVIDENCE_OF[kind]] += 1
        if kind == "post":
            posts.append(item_id)
    # the accepted answer of a question found is evidence too (its question names the topic)
    for item_id, author_id, _post_id in index.accepted_answers(posts):
        if item_id not in accepted:
            accepted.add(item_id)
            counts[author_id]["accepted_answers"] += 1
    return counts


def _weight(counted: Counter) -> float:
    return sum(EVIDENCE_WEIGHTS[reason] * min(count, EVIDENCE_COUNTED) for reason, count in counted.items())


# --- the finder ----------------------------------------------------------------------------------


def _parsed(skill: str) -> text.Query:
    try:
        return text.parse(skill)
    except ValidationFailed as refused:
        messages = (refused.details or {}).get("query") or ["Type a skill to look for."]
        raise ValidationFailed("The request is not valid.", {"skill": messages}) from None


def _decode(cursor: str) -> tuple[float, str, str]:
    score, name, person_id = cursors.decode(cursor, (float, str, str), "the expertise finder")
    return score, name, person_id


def find(
    session,
    viewer: Viewer,
    skill: str,
    country=None,
    language=None,
    org_id=None,
    community_id=None,
    cursor=None,
    limit: int = 20,
) -> dict:
    query = _parsed(skill)
    after = _decode(cursor) if cursor else None
    if community_id and not _members_visible(session, viewer, community_id):
        return {"items": [], "next_cursor": None}
    where = _filters(country, language, org_id, community_id)
    asked = people.folded(skill).split()
    wanted = " ".join(asked)

    # who declared it (among the people the viewer may see, filtered)
    declared: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    answering = [s for s in _candidate_skills(session, asked) if skill_answers(asked, people.folded(s))]
    for at in range(0, len(answering), 500):
        rows = session.execute(
            select(S.c.user_id, S.c.skill, S.c.folded)
            .join(P, P.c.user_id == S.c.user_id)
            .where(S.c.skill.in_(answering[at : at + 500]), visibility.people_clause(viewer), *where)
        ).all()
        for user_id, held, fold in rows:
            declared[user_id].append((held, fold == wanted))

    # who wrote about it, where the viewer may read
    counts = evidence(session, viewer, query)
    authors = sorted(counts, key=lambda a: (-_weight(counts[a]), a))[:EXPERT_CANDIDATES_MAX]
    listed = set(declared) | _listable(session, viewer, authors, where)

    cards = people.cards(session, listed)
    ranked = []
    for person_id in listed:
        card = cards.get(person_id)
        if card is None:
            continue
        mine = sorted(declared.get(person_id, ()), key=lambda s: (not s[1], s[0]))
        score = max((DECLARED_EXACT if exact else DECLARED_PARTIAL for _, exact in mine), default=0.0)
        counted = counts.get(person_id, Counter())
        score = round(score + _weight(counted), 6)
        if score <= 0:
            continue
        reasons = [{"kind": "skill", "skill": held, "exact": exact} for held, exact in mine]
        reasons += [
            {"kind": reason, "count": counted[reason]} for reason in EXPERT_REASONS[1:] if counted.get(reason)
        ]
        ranked.append(
            {
                **{k: v for k, v in card.items() if k != "sort_name"},
                "id": person_id,
                "matched_skills": [held for held, _ in mine],
                "score": score,
                "reasons": reasons,
                "_key": (-score, card["sort_name"], person_id),
            }
        )
    ranked.sort(key=lambda r: r["_key"])
    if after is not None:
        edge = (-after[0], after[1], after[2])
        ranked = [r for r in ranked if r["_key"] > edge]
    page, more = ranked[:limit], len(ranked) > limit
    next_cursor = None
    if more and page:
        score, name, person_id = page[-1]["_key"]
        next_cursor = cursors.encode(-score, name, person_id)
    for item in page:
        del item["_key"]
    return {"items": page, "next_cursor": next_cursor}


# --- suggestions ---------------------------------------------------------------------------------


def typos_allowed(length: int) -> int:
    for below, allowed in SKILL_TYPOS:
        if length < below:
            return allowed
    return SKILL_TYPOS[-1][1]  # pragma: no cover


def distance(a: str, b: str) -> int:
    """Edits from ``a`` to ``b`` (insert, delete, replace, swap two neighbours)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def prefix_distance(typed: str, folded_skill: str) -> int:
    """How far ``typed`` is from the start of a word of the skill (0: it starts one)."""
    starts = [0] + [i + 1 for i, c in enumerate(folded_skill) if c == " "]
    best = len(typed)
    for start in starts:
        rest = folded_skill[start:]
        if rest.startswith(typed):
            return 0
        for length in (len(typed) - 1, len(typed), len(typed) + 1):
            if length > 0:
                best = min(best, distance(typed, rest[:length]))
    return best


def suggest(session, viewer: Viewer, prefix: str, limit: int = 10) -> dict:
    typed = people.folded(prefix)
    if not typed:
        return {"items": []}
    allowed = typos_allowed(len(typed))
    wanted = people.grams(typed, prefix=True)
    shared = func.count(G.c.gram)
    candidates = list(
        session.scalars(
            select(G.c.skill)
            .where(G.c.gram.in_(sorted(wanted)))
            .group_by(G.c.skill)
            .order_by(shared.desc(), G.c.skill)
            .limit(SKILL_CANDIDATES_MAX)
        )
    )
    if not candidates:
        return {"items": []}
    holders = func.count(S.c.user_id)
    rows = session.execute(
        select(S.c.skill, S.c.folded, holders)
        .join(P, P.c.user_id == S.c.user_id)
        .where(and_(S.c.skill.in_(candidates), visibility.people_clause(viewer)))
        .group_by(S.c.skill, S.c.folded)
    ).all()
    ranked = []
    for skill, fold, count in rows:
        far = prefix_distance(typed, fold)
        if far <= allowed:
            ranked.append((far, not fold.startswith(typed), -count, skill))
    ranked.sort()
    return {"items": [{"skill": skill, "prefix": far == 0} for far, _, _, skill in ranked[:limit]]}
