"""Three real services on the real RabbitMQ, talking only through RPC and events.

A manager creates a private community in `communities`, invites an employee and a
guest of a partner organisation; `communities` publishes the membership through its
outbox; `identity` (who-shares-a-community read model) and `feed` (membership read
model) follow from the events alone. Removing the guest fences them out of both.
"""

import pytest

from parvis_contracts import context as ctx
from parvis_contracts.errors import Forbidden, NotFound, ParvisError
from services.communities.service import CommunitiesService
from services.feed.service import FeedService
from services.identity.service import IdentityService
from tests.support import wait_until

PASSWORD = "correct horse battery"


def token_for(person):
    return ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON,
            user_id=person["id"],
            org_id=person["org_id"],
            roles=frozenset(person["roles"]),
            guest=person["guest"],
        )
    )


def succeeds(call):
    """For wait_until: the call's answer, or None while it still raises."""

    def attempt():
        try:
            return call() or True
        except ParvisError:
            return None

    return attempt


def fails_with(error, call):
    def attempt():
        try:
            call()
        except error:
            return True
        return False

    return attempt


@pytest.fixture
def network(start_service, rpc, tokens):
    for cls in (IdentityService, CommunitiesService, FeedService):
        start_service(cls)
    boot = rpc.call(
        "identity",
        "bootstrap",
        tokens.system(),
        host_name="Parvis Test SA",
        host_country="FR",
        admin_email="admin@host.example",
        admin_password=PASSWORD,
        admin_name="Ada Admin",
    )
    admin = token_for(boot["admin"])
    supplier = rpc.call(
        "identity", "create_organisation", admin, name="Supplier GmbH", kind="supplier", country="DE"
    )

    def person(email, name, **kw):
        return rpc.call(
            "identity", "admin_create_person", admin, email=email, display_name=name, password=PASSWORD, **kw
        )["person"]

    people = {
        "manager": person("manon@host.example", "Manon Manager"),
        "member": person("marc@host.example", "Marc Member"),
        "outsider": person("olga@host.example", "Olga Outsider"),
        "guest": person("gustav@supplier.example", "Gustav Guest", org_id=supplier["id"]),
    }
    return people, {key: token_for(p) for key, p in people.items()}, supplier


def test_membership_events_drive_identity_and_feed(network, rpc):
    people, tok, supplier = network

    community = rpc.call(
        "communities",
        "create_community",
        tok["manager"],
        name="Supplier project",
        kind="project",
        visibility="private",
        allowed_org_ids=[supplier["id"]],
    )
    cid = community["id"]
    for who in ("member", "guest"):
        rpc.call("communities", "invite", tok["manager"], community_id=cid, person_id=people[who]["id"])
        rpc.call("communities", "accept_invitation", tok[who], community_id=cid)

    # identity learnt from the events that the guest now shares a community with them
    wait_until(
        succeeds(lambda: rpc.call("identity", "get_person", tok["guest"], person_id=people["manager"]["id"])),
        timeout=15,
    )
    with pytest.raises(NotFound):
        rpc.call("identity", "get_person", tok["guest"], person_id=people["outsider"]["id"])

    # feed learnt the membership too: the guest can read the wall and post on it
    wait_until(
        succeeds(lambda: rpc.call("feed", "community_wall", tok["guest"], community_id=cid)), timeout=15
    )
    post = rpc.call(
        "feed",
        "create_post",
        tok["guest"],
        community_id=cid,
        body=f"Delivery plan attached, ping @[Manon Manager]({people['manager']['id']})",
    )
    rpc.call("feed", "create_comment", tok["member"], post_id=post["id"], body="Thanks!")
    rpc.call("feed", "like_post", tok["manager"], post_id=post["id"])
    wall = rpc.call("feed", "community_wall", tok["member"], community_id=cid)
    assert [item["id"] for item in wall["items"]] == [post["id"]]
    assert wall["items"][0]["like_count"] == 1
    assert wall["items"][0]["comment_count"] == 1
    home = rpc.call("feed", "home_timeline", tok["manager"])
    assert post["id"] in [item["id"] for item in home["items"]]

    # someone outside the private community: the same answer as for an unknown id
    with pytest.raises(NotFound) as outsider:
        rpc.call("feed", "community_wall", tok["outsider"], community_id=cid)
    with pytest.raises(NotFound) as unknown:
        rpc.call(
            "feed", "community_wall", tok["outsider"], community_id="00000000-0000-0000-0000-000000000000"
        )
    assert (outsider.value.message, outsider.value.details) == (unknown.value.message, unknown.value.details)

    # the manager removes the guest: fenced out of the wall, the post and the people
    rpc.call("communities", "remove_member", tok["manager"], community_id=cid, user_id=people["guest"]["id"])
    wait_until(
        fails_with(NotFound, lambda: rpc.call("feed", "community_wall", tok["guest"], community_id=cid)),
        timeout=15,
    )
    with pytest.raises(NotFound):
        rpc.call("feed", "get_post", tok["guest"], post_id=post["id"])
    wait_until(
        fails_with(
            NotFound,
            lambda: rpc.call("identity", "get_person", tok["guest"], person_id=people["manager"]["id"]),
        ),
        timeout=15,
    )
    # the others keep their access and the guest's post stays in the history
    assert rpc.call("feed", "get_post", tok["member"], post_id=post["id"])["id"] == post["id"]


def test_archiving_makes_the_wall_read_only_in_feed(network, rpc):
    people, tok, _ = network
    community = rpc.call(
        "communities", "create_community", tok["manager"], name="Team room", kind="team", visibility="open"
    )
    cid = community["id"]
    rpc.call("communities", "join_community", tok["member"], community_id=cid)
    first = wait_until(
        succeeds(lambda: rpc.call("feed", "create_post", tok["member"], community_id=cid, body="First!")),
        timeout=15,
    )
    rpc.call("communities", "archive_community", tok["manager"], community_id=cid)

    def writes_refused():
        try:
            rpc.call("feed", "like_post", tok["manager"], post_id=first["id"])
            rpc.call("feed", "unlike_post", tok["manager"], post_id=first["id"])
        except Forbidden:
            return True
        return False

    wait_until(writes_refused, timeout=15)

    before = rpc.call("feed", "community_wall", tok["member"], community_id=cid)["items"]
    with pytest.raises(Forbidden):
        rpc.call("feed", "create_post", tok["member"], community_id=cid, body="Too late")
    with pytest.raises(Forbidden):
        rpc.call("feed", "create_comment", tok["manager"], post_id=first["id"], body="Too late")
    after = rpc.call("feed", "community_wall", tok["member"], community_id=cid)["items"]
    assert [p["id"] for p in after] == [p["id"] for p in before] == [first["id"]]
    assert after[0]["comment_count"] == 0
