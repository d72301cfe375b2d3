"""The communities service's declaration for the plug-in registry (plain data, no service code)."""

from parvis_contracts.plugins import PERSON_DATA_HANDLES, ServicePlugin

SERVICE = ServicePlugin(
    name="communities",
    service="services.communities.service:CommunitiesService",
    migrations="services.communities:migrations",
    description="communities, membership, managers, invitations, join requests, archive",
    handles=PERSON_DATA_HANDLES,
    person_data=True,
)
