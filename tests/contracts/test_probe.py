"""The readiness probe reads the runner's gauge from the metrics exposition."""

from parvis_contracts.probe import ready


def test_ready_only_when_the_gauge_is_one():
    assert ready('# HELP x\nparvis_service_ready{service="feed"} 1.0\n')
    assert not ready('parvis_service_ready{service="feed"} 0.0\n')
    assert not ready("parvis_rpc_calls_total{} 3.0\n")
    assert not ready("")
    assert not ready('parvis_service_ready{service="feed"} garbage\n')
