"""Entrypoints of the communities service (features arrive with their issue)."""
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.metrics import Metrics

from .models import metadata


class CommunitiesService(PlatformEntrypoints):
    name = "communities"

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
