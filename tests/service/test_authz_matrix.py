"""Every cell of the access rules, through the gateway's HTTP API and the owning service's RPC.

The rules come from ``contracts/parvis_contracts/authz_rules.yaml`` (see ``tests/authz_rules.py``):
one test per (row, operation, actor, channel, state). One world is built for the module:
identity, communities and feed run once on their own vhost, the people sign in once, and
communities A (private, with a partner guest), B (private), C (open) and S (secret) are filled
with content. Every case whose write is allowed gets fresh targets of its own (a new post to
delete, a new person to invite...); refused cases change nothing, so they share one spare target
per kind; each state has its own copy of A or its own person: the cases may run in any order.

- Y: HTTP 2xx, the RPC returns; 403/404/401/409/422: that status and error code, the RPC
  raises that error type;
- every 404 is compared with the answer for an unknown id: the same body, byte for byte, over
  HTTP; the same error type and message over RPC;
- the states: a copy of A archived; a copy of A the guest was removed from after signing in; a
  member of A deactivated and a guest of A whose access expired, both after signing in; posts
  of A deleted. For the last person states the RPC channel asks what the gateway asks at every
  request (``identity.resolve_session``) and calls identity's own operations directly.

Known product defects are listed in ``FINDINGS`` (strict xfail: the suite fails when one is
fixed, so its line must go).
"""

import hashlib
import io
import os
import struct
import uuid
import zlib

import pytest
from nameko.containers import ServiceContainer

from gateway.app import create_app
from gateway.auth import caller_for
from parvis_contracts import context as ctx
from parvis_contracts.blobs import LocalBlobStore, blob_store
from parvis_contracts.client import RpcClient
from parvis_contracts.config import nameko_config
from parvis_contracts.errors import ParvisError
from parvis_contracts.migrations import upgrade
from parvis_contracts.plugins import load_object, service_plugins
from tests import authz_rules as rules
from tests.support import png_bytes, use_postgresql, wait_until

#: the notifications plug-in is installed: wait for its read models too
NOTIFICATIONS = "notifications" in service_plugins()
#: the search plug-in is installed: wait until its index holds the seeded posts
SEARCH = "search" in service_plugins()
#: the agenda plug-in is installed: wait for its read model of membership too
AGENDA = "agenda" in service_plugins()

PASSWORD = "correct horse battery"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
ERROR_TYPES = {
    "401": "Unauthenticated",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "422": "ValidationFailed",
}
ERROR_CODES = {
    "401": "unauthenticated",
    "403": "forbidden",
    "404": "not_found",
    "409": "conflict",
    "422": "validation_failed",
}
FULL_ONLY = ("description", "allowed_org_ids", "created_by")
#: the two versions of every community's shared document, and the bytes of every upload
PDF_V1 = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PDF_V2 = b"%PDF-1.4\n% second version\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
RAW_BODIES = {"pdf": PDF_V1}
#: pages have no stated language: an English text the detector recognises
PAGE_BODY = "This page explains how the project team works together and shares its documents."
#: the translation engine of the world: in memory, no pair; the rows translate a post into
#: its own language, which answers without any engine (the access answer is the read's)
TRANSLATION = {"PARVIS_TRANSLATION_BACKENDS": "memory", "PARVIS_MEMORY_PAIRS": ""}

ANY = "*"
BASE = None

#: Cells where the product is wrong (not the rule): strict xfail, so a fix makes the suite
#: fail until its entry goes. Each: rows, operations, actors, channels, states, why.
FINDINGS: list[dict] = []


# ------------------------------------------------------------------ the world


class Person:
    """Someone of the world: identity data, and for those who sign in a client and a session."""

    def __init__(self, data: dict):
        self.data = data
        self.id = data["id"]
        self.client = None
        self.session_token = None
        self.resolved = None

    def token(self) -> str:
        """A caller context signed now, as the gateway signs it for this person."""
        if self.resolved is not None:
            return ctx.sign(caller_for(self.resolved, "en"))
        return ctx.sign(
            ctx.Caller(
                kind=ctx.KIND_PERSON,
                user_id=self.id,
                org_id=self.data.get("org_id"),
                roles=frozenset(self.data.get("roles") or ("member",)),
                guest=bool(self.data.get("guest")),
            )
        )


class Community:
    def __init__(
        self, cid: str, key: str, manager: "Person", author: "Person", reader: "Person", members: list
    ):
        self.id, self.key = cid, key
        self.manager, self.author, self.reader = manager, author, reader
        self.members = members
        self.shared: dict = {}


class World:
    def __init__(self, rpc: RpcClient, app, documents_store=None):
        self.rpc, self.app = rpc, app
        self.documents_store = documents_store
        self.people: dict[str, Person] = {}
        self.communities: dict[str, Community] = {}
        self.refs: dict[str, str] = {}
        self.spares: dict[tuple, object] = {}
        self.signed_out = app.test_client()
        self.signed_out.csrf = None

    # --- plumbing ---------------------------------------------------------------------

    def call(self, who, service: str, method: str, **kwargs):
        token = ctx.system_caller() if who is None else who.token()
        return self.rpc.call(service, method, token, **kwargs)

    def unique(self) -> str:
        return uuid.uuid4().hex[:12]

    def new_person(self, name: str, org_id=None, roles=None, password=True, sign_in=False) -> Person:
        email = f"{name.split()[0].lower()}-{self.unique()}@example.com"
        kwargs = {"email": email, "display_name": name}
        if org_id:
            kwargs["org_id"] = org_id
        if roles:
            kwargs["roles"] = list(roles)
        if password:
            kwargs["password"] = PASSWORD
        person = Person(self.call(None, "identity", "admin_create_person", **kwargs)["person"])
        person.email = email
        if sign_in:
            self.sign_in(person)
        return person

    def sign_in(self, person: Person) -> None:
        client = self.app.test_client()
        response = client.post(
            "/api/v1/auth/sign-in", json={"email": person.email, "password": PASSWORD, "issue_token": True}
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        client.csrf = body["csrf_token"]
        person.client, person.session_token = client, body["token"]
        person.resolved = self.rpc.call(
            "identity", "resolve_session", ctx.anonymous_caller(), session_token=body["token"]
        )

    # --- communities --------------------------------------------------------------------

    def community(
        self, key: str, name: str, visibility: str, manager: Person, members=(), allowed=None
    ) -> str:
        kwargs = {"name": name, "kind": "project", "visibility": visibility}
        if allowed:
            kwargs["allowed_org_ids"] = allowed
        cid = self.call(manager, "communities", "create_community", **kwargs)["id"]
        for person in members:
            self.call(manager, "communities", "invite", community_id=cid, person_id=person.id)
            self.call(person, "communities", "accept_invitation", community_id=cid)
        return cid

    def a_copy(self, name: str, extra=()) -> Community:
        p = self.people
        members = [p["member_a"], p["guest_a"], p["author"], p["reader"], *extra]
        cid = self.community("A", name, "private", p["manager_a"], members, allowed=[self.refs["partner"]])
        return Community(cid, "A", p["manager_a"], p["author"], p["reader"], [p["manager_a"], *members])

    def owned(self, key: str, name: str, visibility: str) -> Community:
        owner = self.people["owner"]
        cid = self.community(key, name, visibility, owner)
        return Community(cid, key, owner, owner, owner, [owner])

    def wait_for_feed(self, community: Community) -> None:
        for person in community.members:
            wait_until(lambda who=person: self._reads_wall(who, community.id), timeout=20)
            wait_until(lambda who=person: self._reads_bank(who, community.id), timeout=20)
            if NOTIFICATIONS:
                wait_until(lambda who=person: self._hears(who, community.id), timeout=20)
            if AGENDA:
                wait_until(lambda who=person: self._plans(who, community.id), timeout=20)

    def _hears(self, person, cid) -> bool:
        """The notifications service's read model knows the person is a member."""
        try:
            self.call(person, "notifications", "get_community_level", community_id=cid)
            return True
        except ParvisError:
            return False

    def _plans(self, person, cid) -> bool:
        """The agenda's read model knows the person reads the community."""
        try:
            self.call(person, "agenda", "community_agenda", community_id=cid, limit=1)
            return True
        except ParvisError:
            return False

    def _knows_post(self, person, post_id) -> bool:
        """The notifications service knows the post (it learns of posts from the feed)."""
        try:
            self.call(person, "notifications", "get_follow", target_kind="post", target_id=post_id)
            return True
        except ParvisError:
            return False

    def _finds(self, person, word, cid, **kwargs) -> bool:
        """The search service has indexed a post of ``cid`` holding ``word``, and knows that
        ``person`` may read it."""
        try:
            found = self.call(person, "search", "search", query=word, limit=100, **kwargs)
        except ParvisError:
            return False
        return any(item["community_id"] == cid for item in found["items"])

    def _finds_people(self, person, word, ids) -> bool:
        """The search service knows those people (identity's events) and that ``person``
        may see them."""
        try:
            found = self.call(person, "search", "search", query=word, kinds=["person"], limit=100)
        except ParvisError:
            return False
        return set(ids) <= {item["id"] for item in found["items"]}

    def _reads_bank(self, person, cid) -> bool:
        try:
            self.call(person, "documents", "list_folder", community_id=cid)
            return True
        except ParvisError:
            return False

    def _may_write_bank(self, person, cid) -> bool:
        try:
            self.call(
                person,
                "documents",
                "prepare_upload",
                community_id=cid,
                folder_id=None,
                name=f"probe-{self.unique()}.pdf",
            )
            return True
        except ParvisError:
            return False

    def _reads_wall(self, person, cid) -> bool:
        try:
            self.call(person, "feed", "community_wall", community_id=cid, limit=1)
            return True
        except ParvisError:
            return False

    def post(self, community: Community, author=None, body="authz content", kind="message"):
        return self.call(
            author or community.author,
            "feed",
            "create_post",
            community_id=community.id,
            body=body,
            kind=kind,
            language="en",
        )["id"]

    # --- documents and pages --------------------------------------------------------------

    def staged(self, data: bytes = PDF_V1) -> dict:
        """Bytes staged in the documents' store, as the gateway stages an upload."""
        return self.documents_store.stage(io.BytesIO(data), 10**6).as_dict()

    def document(self, community: Community, versions=(PDF_V1,), folder_id=None) -> str:
        author = community.author
        doc = self.call(
            author,
            "documents",
            "create_document",
            community_id=community.id,
            folder_id=folder_id,
            name=f"authz-{self.unique()}.pdf",
            staged=self.staged(versions[0]),
        )["id"]
        for data in versions[1:]:
            self.call(author, "documents", "add_version", document_id=doc, staged=self.staged(data))
        return doc

    def folder(self, community: Community) -> str:
        return self.call(
            community.author,
            "documents",
            "create_folder",
            community_id=community.id,
            parent_id=None,
            name=f"Folder {self.unique()}",
        )["id"]

    def page(self, community: Community, revisions: int = 1) -> str:
        title = f"Page {self.unique()}"
        page = self.call(
            community.author,
            "documents",
            "create_page",
            community_id=community.id,
            title=title,
            body=PAGE_BODY,
        )["id"]
        for number in range(1, revisions):
            self.call(
                community.author,
                "documents",
                "update_page",
                page_id=page,
                title=title,
                body=f"{PAGE_BODY}\n\nThe team reviews it every week.",
                base_revision=number,
            )
        return page

    def binned_document(self, community: Community) -> str:
        doc = self.document(community)
        self.call(community.author, "documents", "delete_document", document_id=doc)
        return doc

    def comment(self, post_id: str, who) -> str:
        return self.call(who, "feed", "create_comment", post_id=post_id, body="authz comment", language="en")[
            "id"
        ]

    def seed(self, community: Community, tag: str = "") -> None:
        """The content every read row looks at."""
        body = f"authz content #{tag}" if tag else "authz content"
        post = self.post(community, body=body)
        community.shared["comment"] = self.comment(post, community.reader)
        self.call(community.reader, "feed", "like_post", post_id=post)
        community.shared["post"] = post
        community.shared["announcement"] = self.post(
            community, community.manager, "authz announcement", "announcement"
        )
        community.shared["document"] = self.document(community, versions=(PDF_V1, PDF_V2))
        community.shared["folder"] = self.folder(community)
        community.shared["page"] = self.page(community, revisions=2)

    def pool(self, community: Community) -> None:
        """Targets of the write operations, made before the community changes state."""
        shared = community.shared
        shared["fresh_post"] = shared["fresh_post_liked"] = self.post(community)
        shared["fresh_comment"] = shared["fresh_comment_liked"] = self.comment(
            self.post(community), community.author
        )
        shared["fresh_question"] = self.question(community)
        shared["fresh_report"] = self.report(community)
        shared["fresh_requester"] = self.requester(community)
        shared["fresh_member"] = self.member(community)
        shared["fresh_document"] = self.document(community)
        shared["fresh_folder"] = self.folder(community)
        shared["fresh_page"] = self.page(community)
        shared["fresh_binned_document"] = self.binned_document(community)
        shared["fresh_versioned_document"] = self.document(community, (PDF_V1, PDF_V2))
        # a plug-in's own targets of this community, made by its manager (an event of it...)
        for name, builder in rules.builders().items():
            if "$community" in str(builder["args"]) and self.people[builder["by"]] is community.manager:
                shared[name] = self.plugin_target(builder, community)

    def plugin_target(self, builder: dict, community: Community) -> str:
        """A plug-in's target of ``community`` made now (its args name ``$community`` and
        ``$unique`` only), as ``_build`` makes it for a case."""

        def fill(value):
            if isinstance(value, dict):
                return {k: fill(v) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v) for v in value]
            if isinstance(value, str):
                return value.replace("$community", community.id).replace("$unique", self.unique())
            return value

        service, _, method = builder["rpc"].partition(".")
        return self.call(self.people[builder["by"]], service, method, **fill(builder["args"]))["id"]

    def question(self, community: Community) -> dict:
        qid = self.post(community, body="authz question?", kind="question")
        return {"id": qid, "answer": self.comment(qid, community.reader)}

    def report(self, community: Community, post_id=None) -> str:
        post_id = post_id or self.post(community)
        return self.call(
            community.reader,
            "feed",
            "report_content",
            target_type="post",
            target_id=post_id,
            reason="authz report",
        )["id"]

    def requester(self, community: Community) -> str:
        person = self.new_person("Fresh Requester", password=False)
        self.call(person, "communities", "request_to_join", community_id=community.id)
        return person.id

    def member(self, community: Community) -> str:
        person = self.new_person("Fresh Member", password=False)
        self.call(community.manager, "communities", "invite", community_id=community.id, person_id=person.id)
        self.call(person, "communities", "accept_invitation", community_id=community.id)
        return person.id

    def fresh_community(self, key: str, state: str | None, archived: bool = False) -> str:
        p = self.people
        if key == "A":
            cid = self.community(
                "A",
                f"Copy {self.unique()}",
                "private",
                p["manager_a"],
                [p["member_a"], p["guest_a"]],
                allowed=[self.refs["partner"]],
            )
            manager = p["manager_a"]
        else:
            visibility = {"B": "private", "C": "open", "S": "secret"}[key]
            cid = self.community(key, f"Copy {self.unique()}", visibility, p["owner"])
            manager = p["owner"]
        if state == "guest_removed" and key == "A":
            self.call(manager, "communities", "remove_member", community_id=cid, user_id=p["guest_a"].id)
        if archived or (state == "archived" and key == "A"):
            self.call(manager, "communities", "archive_community", community_id=cid)
        return cid

    # --- building ------------------------------------------------------------------------

    def build(self) -> None:
        boot = self.rpc.call(
            "identity",
            "bootstrap",
            ctx.system_caller(),
            host_name="Acme",
            host_country="FR",
            admin_email="admin@acme.example",
            admin_password=PASSWORD,
            admin_name="Ada Admin",
        )
        self.refs["host"] = boot["organisation"]["id"]
        admin = Person(boot["admin"])
        admin.email = "admin@acme.example"
        self.sign_in(admin)
        partner = self.call(
            None, "identity", "create_organisation", name="Partner Co", kind="partner", country="DE"
        )["id"]
        self.refs["partner"] = partner
        new = self.new_person
        self.people = p = {
            "admin": admin,
            "manager_a": new("Manon Authz", sign_in=True),
            "member_a": new("Mia Authz", sign_in=True),
            "employee": new("Eve Authz", sign_in=True),
            "guest_a": new("Gus Authz", org_id=partner, sign_in=True),
            "global_manager": new("Gil Authz", roles=("member", "global_community_manager"), sign_in=True),
            "owner": new("Oscar Authz", sign_in=True),
            "author": new("Al Author"),
            "reader": new("Rita Reader"),
            "member_d": new("Dan Deactivated"),
            "guest_x": new("Xena Expired", org_id=partner),
        }
        for key in ("manager_a", "member_a", "owner"):
            self.refs[key] = p[key].id
        for key in ("manager_a", "owner"):
            response = p[key].client.put(
                "/api/v1/me/photo",
                data=png_bytes(),
                content_type="image/png",
                headers={"X-CSRF-Token": p[key].client.csrf},
            )
            assert response.status_code == 200, response.get_json()
        self.call(
            p["manager_a"],
            "identity",
            "update_me",
            changes={"birth_date": "1980-05-01", "visibility": {"birth_date": "employees"}},
        )
        if SEARCH:  # the people rows: skills, and an education shown to employees only
            self.call(
                p["manager_a"],
                "identity",
                "update_me",
                changes={
                    "skills": ["authzskill", "authzmanon"],
                    "education": "authzschool",
                    "visibility": {"education": "employees"},
                },
            )
            self.call(p["owner"], "identity", "update_me", changes={"skills": ["authzskill", "authzoscar"]})
            self.refs.update(skill_manon="authzmanon", skill_oscar="authzoscar")

        a = self.a_copy("Authz A", extra=(p["member_d"], p["guest_x"]))
        archived = self.a_copy("Authz A archived")
        removed = self.a_copy("Authz A guest removed")
        b = self.owned("B", "Authz B", "private")
        c = self.owned("C", "Authz C", "open")
        s = self.owned("S", "Authz S", "secret")
        self.communities = {
            "A": a,
            "B": b,
            "C": c,
            "S": s,
            "A:archived": archived,
            "A:guest_removed": removed,
        }
        for community in self.communities.values():  # every community has a picture
            client = community.manager.client
            response = client.put(
                f"/api/v1/communities/{community.id}/picture",
                data=png_bytes(),
                content_type="image/png",
                headers={"X-CSRF-Token": client.csrf},
            )
            assert response.status_code == 200, response.get_json()
        for key in ("A", "B", "C", "S"):
            self.refs[key] = self.communities[key].id
        for community in self.communities.values():
            self.wait_for_feed(community)
        tags = {"A": "authza", "C": "authzc"}
        for key, community in self.communities.items():
            self.seed(community, tags.get(key, ""))
        if NOTIFICATIONS:
            for community in self.communities.values():
                post = community.shared["post"]
                wait_until(lambda c=community, pid=post: self._knows_post(c.author, pid), timeout=20)
        if SEARCH:  # the search rows find A's and C's posts by their words
            for key in ("manager_a", "member_a", "guest_a"):
                wait_until(lambda who=p[key]: self._finds(who, "authza", a.id), timeout=20)
            for key in ("owner", "employee"):
                wait_until(lambda who=p[key]: self._finds(who, "authzc", c.id), timeout=20)
            # and knows the people (identity's profile events) and the communities' names
            manager_a, owner = p["manager_a"].id, p["owner"].id
            wait_until(lambda: self._finds_people(p["employee"], "authzschool", [manager_a]), timeout=20)
            wait_until(lambda: self._finds_people(p["guest_a"], "authz", [manager_a]), timeout=20)
            wait_until(lambda: self._finds_people(p["admin"], "authz", [manager_a, owner]), timeout=20)
            wait_until(lambda: self._finds(p["admin"], "authz", s.id, kinds=["community"]), timeout=20)
        self.pool(archived)
        self.deleted_targets(a)

        # the states
        self.call(archived.manager, "communities", "archive_community", community_id=archived.id)
        probe_archived = archived.shared["fresh_post"]
        self.call(
            p["manager_a"], "communities", "remove_member", community_id=removed.id, user_id=p["guest_a"].id
        )
        for key in ("member_d", "guest_x"):
            self.sign_in(p[key])
        self.call(p["admin"], "identity", "deactivate_person", person_id=p["member_d"].id)
        self.call(
            p["admin"],
            "identity",
            "set_guest_expiry",
            person_id=p["guest_x"].id,
            guest_expires_at="2001-01-01",
        )
        # the feed follows the communities' events: wait until it has applied both
        wait_until(lambda: self._refused(p["manager_a"], "like_post", probe_archived), timeout=20)
        wait_until(lambda: not self._reads_wall(p["guest_a"], removed.id), timeout=20)
        # so do the documents
        wait_until(lambda: not self._may_write_bank(p["manager_a"], archived.id), timeout=20)
        wait_until(lambda: not self._reads_bank(p["guest_a"], removed.id), timeout=20)
        # the guest sees the manager of A (identity learns shared communities from events)
        wait_until(lambda: self._sees(p["guest_a"], p["manager_a"].id), timeout=20)
        if AGENDA:  # so does the agenda: the archive, and the removal
            event = archived.shared["fresh_event"]
            wait_until(lambda: self._refused_answer(p["manager_a"], event), timeout=20)
            wait_until(lambda: not self._plans(p["guest_a"], removed.id), timeout=20)
        if NOTIFICATIONS:  # so do the notifications: the removal, and the deleted posts
            wait_until(lambda: not self._hears(p["guest_a"], removed.id), timeout=20)
            deleted = a.shared["deleted"]["post"]
            wait_until(lambda: not self._knows_post(a.author, deleted), timeout=20)

    def deleted_targets(self, a: Community) -> None:
        """Posts of A deleted by their authors, with what hangs on them."""
        post = self.post(a)
        comment = self.comment(post, a.reader)
        self.call(a.reader, "feed", "like_post", post_id=post)
        report = self.report(a, post)
        question = self.question(a)
        announcement = self.post(a, a.manager, "authz announcement", "announcement")
        for pid, who in ((post, a.author), (question["id"], a.author), (announcement, a.manager)):
            self.call(who, "feed", "delete_post", post_id=pid)
        a.shared["deleted"] = {
            "post": post,
            "comment": comment,
            "fresh_post": post,
            "fresh_post_liked": post,
            "fresh_comment": comment,
            "fresh_comment_liked": comment,
            "fresh_question": question,
            "announcement": announcement,
            "fresh_report": report,
        }

    def _refused(self, who, method, post_id) -> bool:
        try:
            self.call(who, "feed", method, post_id=post_id)
        except ParvisError as exc:
            return type(exc).__name__ == "Forbidden"
        return False

    def _refused_answer(self, who, event_id) -> bool:
        try:
            self.call(who, "agenda", "rsvp", event_id=event_id, status="maybe")
        except ParvisError as exc:
            return type(exc).__name__ == "Forbidden"
        return False

    def _sees(self, who, person_id) -> bool:
        try:
            self.call(who, "identity", "get_person", person_id=person_id)
            return True
        except ParvisError:
            return False

    # --- the people and targets of a case -----------------------------------------------

    def actor(self, case) -> Person | None:
        if case.actor == "signed_out":
            return None
        if case.state == "deactivated":
            return self.people["member_d"]
        if case.state == "guest_expired":
            return self.people["guest_x"]
        return self.people[case.actor]

    def community_of(self, case) -> Community | None:
        key = case.row.community
        if key is None:
            return None
        if key == "A" and case.state in ("archived", "guest_removed"):
            return self.communities[f"A:{case.state}"]
        return self.communities[key]

    def target(self, name: str, case, cache: dict):
        if name in cache:
            return cache[name]
        value = self._make(name, case, cache)
        cache[name] = value
        return value

    def _make(self, name: str, case, cache: dict):
        p = self.people
        community = self.community_of(case)
        if name in ("member_a", "manager_a", "owner", "author", "reader"):
            return p[name].id
        if name == "unique":
            return self.unique()
        if name == "community":
            return community.id
        if name == "staged_pdf":
            return self.staged()  # consumed (or discarded) by the call: one per call
        if case.state == "post_deleted" and name in community.shared["deleted"]:
            return community.shared["deleted"][name]
        if community is not None and name in community.shared:
            return community.shared[name]  # shared, or the pool of an archived copy
        if case.expected != "Y":
            # a refused call changes nothing: one target serves every refused case
            key = (community.id if community else None, case.state, name)
            if key not in self.spares:
                self.spares[key] = self._build(name, case, community, like=False)
            return self.spares[key]
        return self._build(name, case, community, like=True)

    def _build(self, name: str, case, community, like: bool):
        builder = rules.builders().get(name)
        if builder is not None:  # a plug-in's own target, made through its RPC
            service, _, method = builder["rpc"].partition(".")
            args = self.resolve(builder["args"], case, {})
            return self.call(self.people[builder["by"]], service, method, **args)["id"]
        if name == "fresh_community":
            return self.fresh_community(case.row.community, case.state)
        if name == "fresh_archived_community":
            return self.fresh_community(case.row.community, case.state, archived=True)
        if name == "fresh_employee":
            return self.new_person("Fresh Employee", password=False).id
        if name == "fresh_guest":
            return self.new_person("Fresh Guest", org_id=self.refs["partner"], password=False).id
        if name == "fresh_deactivated":
            person = self.new_person("Fresh Former", password=False)
            self.call(None, "identity", "deactivate_person", person_id=person.id)
            return person.id
        if name == "fresh_org":
            return self.call(
                None,
                "identity",
                "create_organisation",
                name=f"Org {self.unique()}",
                kind="partner",
                country="DE",
            )["id"]
        if name == "fresh_term":
            return self.call(
                self.people["admin"], "translation", "glossary_add", term=f"Fresh term {self.unique()}"
            )["id"]
        actor = self.actor(case)
        if name == "fresh_post":
            return self.post(community)
        if name == "fresh_post_liked":
            pid = self.post(community)
            if like:
                self.call(actor, "feed", "like_post", post_id=pid)
            return pid
        if name == "fresh_comment":
            return self.comment(self.post(community), community.author)
        if name == "fresh_comment_liked":
            cid = self.comment(self.post(community), community.author)
            if like:
                self.call(actor, "feed", "like_comment", comment_id=cid)
            return cid
        if name == "fresh_question":
            return self.question(community)
        if name == "fresh_report":
            return self.report(community)
        if name == "fresh_requester":
            return self.requester(community)
        if name == "fresh_member":
            return self.member(community)
        if name == "fresh_document":
            return self.document(community)
        if name == "fresh_folder":
            return self.folder(community)
        if name == "fresh_page":
            return self.page(community)
        if name == "fresh_binned_document":
            return self.binned_document(community)
        if name == "fresh_versioned_document":
            return self.document(community, (PDF_V1, PDF_V2))
        raise AssertionError(f"no such target ${name}")

    def resolve(self, value, case, cache: dict):
        if isinstance(value, dict):
            return {k: self.resolve(v, case, cache) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, case, cache) for v in value]
        if not isinstance(value, str) or "$" not in value:
            return value
        whole = rules.TARGET.fullmatch(value)
        if whole:
            return self._pick(self.target(whole.group(1), case, cache), whole.group(2))
        return rules.TARGET.sub(
            lambda m: str(self._pick(self.target(m.group(1), case, cache), m.group(2))), value
        )

    @staticmethod
    def _pick(target, attribute):
        if isinstance(target, dict):
            if attribute is None and "id" not in target:
                return target  # a whole value (a staged upload's reference)
            return target[attribute or "id"]
        return target


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def world(module_vhost, databases, tmp_path_factory):
    config = dict(nameko_config(), AMQP_URI=module_vhost.uri)
    containers = []
    rpc = RpcClient(config, timeout=10)
    env = pytest.MonkeyPatch()
    # the documents service and the gateway share one store of documents
    env.setenv("PARVIS_BLOB_DIR", str(tmp_path_factory.mktemp("authz-documents")))
    try:
        # every installed service: the core and the plug-ins whose rows the file merged
        for plugin in service_plugins().values():
            cls = load_object(plugin.service)
            url = databases.url(cls.name)
            upgrade(cls.name, url)
            container = ServiceContainer(cls, dict(config, DB_URL=url, TRANSLATION=TRANSLATION))
            container.start()
            containers.append(container)
        blobs = LocalBlobStore(tmp_path_factory.mktemp("authz-blobs"))
        documents = blob_store("documents")
        app = create_app(
            {"RPC_CLIENT": rpc, "TESTING": True, "BLOB_STORE": blobs, "DOCUMENT_BLOB_STORE": documents}
        )
        world = World(rpc, app, documents)
        world.build()
        yield world
    finally:
        rpc.close()
        for container in reversed(containers):  # a service's timer may ask those started before
            container.stop()
        env.undo()


# ------------------------------------------------------------------ one case


class Request:
    """A case's operation with its targets resolved: the HTTP request and the RPC call."""

    def __init__(self, world: World, case):
        cache: dict = {}
        op = case.op
        self.op = op
        self.params = world.resolve(op.params, case, cache)
        self.query = world.resolve(op.query, case, cache)
        self.json = world.resolve(op.json, case, cache)
        self.kwargs = world.resolve(op.kwargs, case, cache)

    def path(self, params=None) -> str:
        path = self.op.path
        for name, value in (params or self.params).items():
            path = path.replace("{" + name + "}", str(value))
        return path

    def http(self, client, unknown: bool = False):
        params, body = dict(self.params), self.json
        name = self.op.unknown_param
        if unknown:
            if name in params:
                params[name] = UNKNOWN_ID
            else:
                body = {**body, name: UNKNOWN_ID}
        headers = {}
        if self.op.method != "GET" and getattr(client, "csrf", None):
            headers["X-CSRF-Token"] = client.csrf
        kwargs = {"method": self.op.method, "headers": headers, "query_string": self.query}
        if self.op.body:
            headers["Content-Type"] = "application/octet-stream"
            kwargs["data"] = RAW_BODIES[self.op.body]
        elif body is not None:
            kwargs["json"] = body
        if self.op.method == "PUT" and self.op.path.endswith("/picture"):  # an image body
            kwargs.update(data=png_bytes(), content_type="image/png")
        return client.open(self.path(params), **kwargs)

    def rpc(self, world: World, token: str, unknown: bool = False):
        kwargs = dict(self.kwargs)
        if unknown:
            kwargs[self.op.rpc_unknown_param] = UNKNOWN_ID
        try:
            return world.rpc.call(self.op.service, self.op.method_name, token, **kwargs), None
        except ParvisError as exc:
            return None, exc


def items_of(result) -> list:
    if isinstance(result, dict):
        return list(result.get("items") or [])
    return list(result or [])


def check_result(world: World, case, result, where: str) -> None:
    """A successful answer: the card's access, the profile field, a listing's content."""
    expected = case.expected
    if isinstance(expected, dict):
        key = case.op.items
        present = {item.get(key): item for item in items_of(result)}
        shows = expected["list"].get("shows") or {}
        if isinstance(shows, list):
            shows = {name: True for name in shows}
        for name, access in shows.items():
            item = present.get(world.refs[name])
            assert item is not None, f"{where}: the listing does not show {name}"
            if access is not True:
                assert item.get("access") == access, (
                    f"{where}: {name} is listed with access {item.get('access')!r}, not {access!r}"
                )
        for name in expected["list"].get("hides") or []:
            assert world.refs[name] not in present, f"{where}: the listing shows {name}"
        return
    if not isinstance(result, dict):
        return
    if case.op.rpc == "documents.download_info":
        assert result.get("sha256") == hashlib.sha256(downloaded(case)).hexdigest(), (
            f"{where}: not the version asked for: {result}"
        )
    if case.op.rpc == "communities.get_community":
        if expected == "meta":
            assert result.get("access") == "metadata", f"{where}: access {result.get('access')}"
            leaked = [k for k in FULL_ONLY if k in result]
            assert not leaked, f"{where}: metadata only, yet {leaked} answered"
        else:
            assert result.get("access") == "full", f"{where}: access {result.get('access')}"
    if case.row.field:
        personal = result.get("personal") or {}
        if expected == "hidden":
            assert case.row.field not in personal, f"{where}: {case.row.field} is shown"
        else:
            assert personal.get(case.row.field), f"{where}: {case.row.field} is not shown"


def downloaded(case) -> bytes:
    """The bytes a download of the shared document answers: its old version or its latest."""
    return PDF_V1 if case.op.variant == "old version" else PDF_V2


def run_http(world: World, case) -> None:
    person = world.actor(case)
    client = world.signed_out if person is None else person.client
    request = Request(world, case)
    response = request.http(client)
    expected = case.expected
    where = f"{case.op.key} as {case.actor} over HTTP"
    got = response.status_code
    if expected in rules.ERRORS:
        body = response.get_json(silent=True) or {}
        assert got == int(expected), f"{where}: expected {expected}, got {got} {body.get('error', body)}"
        assert body["error"]["code"] == ERROR_CODES[expected], f"{where}: {body}"
        if expected == "404" and case.op.unknown_param:
            unknown = request.http(client, unknown=True)
            assert unknown.status_code == 404, f"{where}: unknown id answered {unknown.status_code}"
            assert response.get_data() == unknown.get_data(), (
                f"{where}: the 404 differs from an unknown id's: {response.get_data()!r} "
                f"vs {unknown.get_data()!r}"
            )
        return
    assert 200 <= got < 300, (
        f"{where}: expected {expected}, got {got} {(response.get_json(silent=True) or {}).get('error')}"
    )
    if got == 204:
        assert not response.get_data(), f"{where}: a 204 with a body"
    elif response.mimetype == "application/json":
        check_result(world, case, response.get_json(), where)
        if case.op.key == "POST /api/v1/translations":
            result = response.get_json()
            assert (result.get("source"), result.get("target"), result.get("engine")) == (
                "en",
                "en",
                "none",
            ), f"{where}: not translated without an engine: {result}"
    elif case.op.path.endswith((".ics", ".csv")):  # a calendar, a spreadsheet (a plug-in's files)
        expected_type = "text/calendar" if case.op.path.endswith(".ics") else "text/csv"
        assert response.mimetype == expected_type, f"{where}: {response.mimetype}"
        assert response.get_data(), f"{where}: an empty file"
    elif case.op.path.endswith("/download"):
        assert response.mimetype == "application/pdf", f"{where}: {response.mimetype}"
        assert response.get_data() == downloaded(case), f"{where}: not the version's bytes"
    else:
        assert case.op.path.endswith(("/photo", "/picture")) and response.mimetype == "image/png", where


def run_rpc(world: World, case) -> None:
    person = world.actor(case)
    where = f"{case.op.rpc} as {case.actor} over RPC"
    expected = case.expected
    if case.state in ("deactivated", "guest_expired"):
        # what the gateway asks at every request, then identity's own check
        try:
            world.rpc.call(
                "identity", "resolve_session", ctx.anonymous_caller(), session_token=person.session_token
            )
            raise AssertionError(f"{where}: the session still resolves")
        except ParvisError as exc:
            assert type(exc).__name__ == "Unauthenticated", f"{where}: {exc!r}"
        if case.op.service != "identity":
            return
    token = ctx.anonymous_caller() if person is None else person.token()
    request = Request(world, case)
    result, error = request.rpc(world, token)
    if expected in rules.ERRORS:
        assert error is not None, f"{where}: expected {ERROR_TYPES[expected]}, it answered"
        assert type(error).__name__ == ERROR_TYPES[expected], (
            f"{where}: expected {ERROR_TYPES[expected]}, got {type(error).__name__}: {error}"
        )
        if expected == "404" and case.op.rpc_unknown_param:
            _, unknown = request.rpc(world, person.token() if person else token, unknown=True)
            assert unknown is not None and type(unknown) is type(error), (
                f"{where}: an unknown id answered {unknown!r}"
            )
            assert (error.message, error.details) == (unknown.message, unknown.details), (
                f"{where}: {error.message!r} differs from the unknown id's {unknown.message!r}"
            )
        return
    assert error is None, f"{where}: expected {expected}, got {type(error).__name__}: {error}"
    check_result(world, case, result, where)


# ------------------------------------------------------------------ the parametrisation


def finding_matches(entry: dict, case) -> bool:
    def within(values, value):
        return values == ANY or value in values

    return (
        case.row.id in entry["rows"]
        and within(entry["ops"], case.op.key)
        and within(entry["actors"], case.actor)
        and within(entry["channels"], case.channel)
        and within(entry["states"], case.state)
    )


def finding(case) -> str | None:
    for entry in FINDINGS:
        if finding_matches(entry, case):
            return entry["why"]
    return None


def sampled(cases: list) -> list:
    """Each database runs every (row, operation) once, in its first generated case, and one
    half of the other cases; SQLite and PostgreSQL take complementary halves, so the suite
    with both databases (CI) runs every case once and a cell repeated for each actor, state
    and channel is not run twice for a database that decides nothing. ``PARVIS_AUTHZ_FULL=1``
    runs every case on any database."""
    if os.environ.get("PARVIS_AUTHZ_FULL") == "1":
        return cases
    half = 1 if use_postgresql() else 0
    seen, kept = set(), []
    for case in cases:
        first = (case.row.id, case.op.key) not in seen
        seen.add((case.row.id, case.op.key))
        if first or zlib.crc32(case.id.encode()) % 2 == half:
            kept.append(case)
    return kept


def params():
    result = []
    for case in sampled(rules.cases()):
        reason = finding(case)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        result.append(pytest.param(case, id=case.id, marks=marks))
    return result


@pytest.mark.parametrize("case", params())
def test_access(world, case):
    try:
        (run_http if case.channel == "http" else run_rpc)(world, case)
    except AssertionError as exc:
        message = str(exc)
    else:
        return
    # the messages say everything; a traceback per failing (or xfailing) cell costs seconds
    pytest.fail(f"{case.id}: {message}", pytrace=False)


def test_every_finding_names_generated_cases():
    cases = rules.cases()
    for entry in FINDINGS:
        assert any(finding_matches(entry, case) for case in cases), f"stale finding {entry}"
