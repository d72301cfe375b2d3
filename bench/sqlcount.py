"""How many SQL statements one home-timeline page costs, counted in this process
by running the feed's own query function (``services.feed.timeline.home``) on the
feed database of the running platform."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.orm import Session


def timeline_statements(db_url: str, user_id: str, limit: int = 20, pages: int = 1) -> list[int]:
    """Statements of page 1, 2, ... ``pages`` for ``user_id`` (cursor paging)."""
    from parvis_contracts.db import make_engine
    from parvis_contracts.membership import Viewer
    from services.feed import timeline

    engine = make_engine(db_url, **({} if db_url.startswith("sqlite") else {"pool_size": 1}))
    counts = []
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args):
        statements[0] += 1

    viewer = Viewer(id=user_id, guest=False, admin=False)
    cursor = None
    try:
        with Session(engine) as session:
            for _ in range(pages):
                statements[0] = 0
                page = timeline.home(session, viewer, datetime.now(UTC), limit, cursor)
                counts.append(statements[0])
                cursor = page["next_cursor"]
                if cursor is None:
                    break
    finally:
        engine.dispose()
    return counts
