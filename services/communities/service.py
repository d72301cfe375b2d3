"""Entrypoints of the communities service (features arrive with their issue)."""
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, rpc
from parvis_contracts.health import health_report
from parvis_contracts.metrics import Metrics

from .models import metadata


class CommunitiesService:
    name = "communities"

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()

    @rpc(anonymous=True)
    def health(self):
        return health_report(self.name, self.db)

    @rpc
    def whoami(self):
        """The verified caller as this service sees it (proves context propagation)."""
        return self.caller.describe()
