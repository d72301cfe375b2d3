"""The data the platform scenarios run on, made through the gateway's API as
users would: the admin creates N open communities, every seeded employee joins
all of them, and posts are written on their walls."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .support import Api, BenchPlatform, Settings, wait_for


@dataclass
class World:
    members: list[Api]
    communities: list[str]
    posts: list[str] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])

    def post_body(self, i: int) -> str:
        return (
            f"Bench post {i} of run {self.run_id}: the quarterly review is on **Thursday**; "
            f"see the agenda and #bench notes."
        )


def build(bp: BenchPlatform, settings: Settings) -> World:
    members = bp.employees()
    owner = members[0]
    communities = []
    for i in range(settings.communities):
        body = owner.ok(
            "POST",
            "/api/v1/communities",
            json={
                "name": f"Bench community {i} {uuid.uuid4().hex[:4]}",
                "kind": "team",
                "visibility": "open",
                "description": "benchmark",
            },
        )
        communities.append(body["id"])

    def join(pair):
        api, cid = pair
        api.ok("POST", f"/api/v1/communities/{cid}/join")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(join, [(m, c) for m in members[1:] for c in communities]))
    world = World(members=members, communities=communities)

    # the feed learns memberships from events: wait until the last joiner may post
    last, cid = members[-1], communities[-1]

    def can_post():
        response = last.post(f"/api/v1/communities/{cid}/posts", json={"body": world.post_body(0)})
        if response.status_code == 201:
            world.posts.append(response.json()["id"])
            return True
        return False

    wait_for(can_post, 60, 0.3, "the feed's read model knows the memberships")

    rng = random.Random(7)

    def write(i):
        api = members[i % len(members)]
        community = communities[rng.randrange(len(communities))]
        return api.ok("POST", f"/api/v1/communities/{community}/posts", json={"body": world.post_body(i)})[
            "id"
        ]

    with ThreadPoolExecutor(4) as pool:
        world.posts += list(pool.map(write, range(1, settings.seed_posts)))
    # a few comments so that comment pages have something to show
    for pid in world.posts[:10]:
        members[1].ok("POST", f"/api/v1/posts/{pid}/comments", json={"body": "Noted, thanks."})
    return world
