"""The service database under eventlet: a query waits without stopping the process."""

import time

import eventlet
import pytest
from sqlalchemy import text

from parvis_contracts.db import make_engine
from tests.support import use_postgresql


@pytest.mark.skipif(not use_postgresql(), reason="SQLite has no server to wait for")
def test_a_slow_postgresql_query_lets_the_other_green_threads_run(databases):
    """While one green thread waits 0.6 s for the server, another keeps its 20 ms beat
    (with psycopg's C wait the whole process stopped: heartbeats, workers, lock holders)."""
    engine = make_engine(databases.url("green_waits"))
    beats = []

    def beat():
        for _ in range(25):
            beats.append(time.monotonic())
            eventlet.sleep(0.02)

    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            ticker = eventlet.spawn(beat)
            eventlet.sleep(0)
            conn.execute(text("SELECT pg_sleep(0.6)"))
            ticker.wait()
    finally:
        engine.dispose()
    gaps = [later - earlier for earlier, later in zip(beats, beats[1:], strict=False)]
    assert len(beats) == 25
    assert max(gaps) < 0.3, f"the other green thread stood still for {max(gaps):.2f} s"
