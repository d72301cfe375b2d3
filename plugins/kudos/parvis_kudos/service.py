"""Entrypoints of the kudos service: load input, authorise, delegate, dump output.

The rules live in ``kudos``; people's visibility is identity's, asked over the bus
with the caller's own context (``identity.people_cards``).
"""

from __future__ import annotations

from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, RpcProxy, dump, rpc, transactional
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.metrics import Metrics
from parvis_contracts.people import visible_card
from parvis_contracts.privacy import PersonDataEntrypoints
from parvis_contracts.schemas import load

from . import kudos, privacy
from . import schemas as s
from .models import metadata


class KudosService(PersonDataEntrypoints, PlatformEntrypoints):
    name = "kudos"
    person_data = privacy  # export_person_data, on_user_erased (GDPR)

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()
    identity = RpcProxy("identity")

    def _visible_card(self, person_id):
        """The person's card as the caller may see it, or None."""
        return visible_card(self.identity, person_id)

    @rpc
    @transactional
    def give_kudos(self, recipient_id, message):
        data = load(s.GiveSchema(), {"recipient_id": recipient_id, "message": message})
        result = kudos.give(self.db, self.caller, self._visible_card, self.clock(), **data)
        return dump(s.KudosSchema, result)

    @rpc
    @transactional
    def list_kudos(self, person_id, limit=20, cursor=None):
        data = load(s.ListSchema(), {"person_id": person_id, "limit": limit, "cursor": cursor})
        return dump(s.KudosPageSchema, kudos.listing(self.db, self.caller, self._visible_card, **data))

    @rpc
    @transactional
    def withdraw_kudos(self, kudos_id):
        data = load(s.KudosIdSchema(), {"kudos_id": kudos_id})
        kudos.withdraw(self.db, self.caller, self._visible_card, **data)
        return {"withdrawn": data["kudos_id"]}
