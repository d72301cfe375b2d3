"""Entrypoints of the feed service (features arrive with their issue)."""
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.metrics import Metrics

from .models import metadata


class FeedService(PlatformEntrypoints):
    name = "feed"

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
