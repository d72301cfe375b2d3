"""The documents service's declaration for the plug-in registry (plain data, no service code)."""

from parvis_contracts.plugins import MEMBERSHIP_HANDLES, PERSON_DATA_HANDLES, ServicePlugin

SERVICE = ServicePlugin(
    name="documents",
    service="services.documents.service:DocumentsService",
    migrations="services.documents:migrations",
    description="document banks: folders, files, versions, the bin, wiki pages",
    handles=(*MEMBERSHIP_HANDLES, *PERSON_DATA_HANDLES),
    person_data=True,
)
