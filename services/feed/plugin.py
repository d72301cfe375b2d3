"""The feed service's declaration for the plug-in registry (plain data, no service code)."""

from parvis_contracts.plugins import MEMBERSHIP_HANDLES, PERSON_DATA_HANDLES, ServicePlugin

SERVICE = ServicePlugin(
    name="feed",
    service="services.feed.service:FeedService",
    migrations="services.feed:migrations",
    description="posts, comments, likes, mentions, questions, announcements, timeline",
    # its own read model of communities and membership: no RPC per timeline read
    handles=(*MEMBERSHIP_HANDLES, *PERSON_DATA_HANDLES),
    person_data=True,
)
