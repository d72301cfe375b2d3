import pytest

from parvis_contracts.errors import Unauthenticated
from services.translation.service import TranslationService


def test_health_answers_with_a_signed_context(start_service, rpc, tokens):
    start_service(TranslationService)
    report = rpc.call("translation", "health", tokens.anonymous())
    assert report["service"] == "translation"
    assert report["database"] == "ok"


@pytest.mark.parametrize("token", [None, "garbage", "a.b"])
def test_health_refuses_a_missing_or_malformed_context(start_service, rpc, token):
    start_service(TranslationService)
    with pytest.raises(Unauthenticated):
        rpc.call("translation", "health", token)
