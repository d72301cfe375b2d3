"""The kudos service's declaration for the plug-in registry (plain data, no service code)."""

from parvis_contracts.plugins import PERSON_DATA_HANDLES, ServicePlugin

from .events import SCHEMAS

SERVICE = ServicePlugin(
    name="kudos",
    service="parvis_kudos.service:KudosService",
    migrations="parvis_kudos:migrations",
    description="kudos: thank a colleague, shown on their profile",
    # an erased person's kudos are forgotten (export_person_data answers for them too)
    handles=PERSON_DATA_HANDLES,
    events=SCHEMAS,
    access_rules="parvis_kudos:authz_rules.yaml",
    metrics_port_name="metrics",
    max_workers=10,
    person_data=True,
    tests="parvis_kudos:tests",
)
