"""The agenda service's declaration for the plug-in registry (plain data, no service code).

Events and their calendars live in a plug-in of their own rather than in the communities
service (docs/services/agenda.md, "Why a plug-in"): communities stays small, the agenda
scales on its own (calendar clients poll feeds all day long), and it reads membership from
the communities events like the other plug-ins.
"""

from parvis_contracts.plugins import MEMBERSHIP_HANDLES, PERSON_DATA_HANDLES, ServicePlugin

from .events import SCHEMAS as EVENTS

SERVICE = ServicePlugin(
    name="agenda",
    service="services.agenda.service:AgendaService",
    migrations="services.agenda:migrations",
    description="agenda: community events, RSVPs with waiting lists, iCalendar files and feeds",
    # the membership read model (member_removed also frees the seats of who left)
    handles=(*MEMBERSHIP_HANDLES, *PERSON_DATA_HANDLES),
    events=EVENTS,
    access_rules="services.agenda:authz_rules.yaml",
    person_data=True,
)
