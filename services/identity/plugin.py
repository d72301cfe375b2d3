"""The identity service's declaration for the plug-in registry (plain data, no service code)."""

from parvis_contracts import events as ev
from parvis_contracts.plugins import ServicePlugin

SERVICE = ServicePlugin(
    name="identity",
    service="services.identity.service:IdentityService",
    migrations="services.identity:migrations",
    description="organisations, people, roles, credentials, sessions, profiles",
    # who-shares-a-community-with-whom, for the guest directory rule
    handles=(
        (ev.COMMUNITIES_MEMBER_ADDED, "on_member_added"),
        (ev.COMMUNITIES_MEMBER_REMOVED, "on_member_removed"),
    ),
    metrics_port_name="metrics",
    person_data=True,
)
