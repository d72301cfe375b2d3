"""The gateway's one error mapping (pure function, no broker)."""
import socket

import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import MethodNotAllowed, NotFound as HttpNotFound, RequestEntityTooLarge
from webargs.flaskparser import abort

from gateway.errors import error_body, map_exception, snake_case
from parvis_contracts import errors as pe


@pytest.mark.parametrize("name", sorted(pe.ERRORS))
def test_every_contract_error_maps_through_the_one_table(name):
    exc = pe.ERRORS[name]("message of " + name, {"field": ["bad"]})
    mapped = map_exception(exc)
    assert mapped.status == pe.HTTP_STATUS[name]
    assert mapped.code == exc.code
    assert mapped.message == "message of " + name
    assert mapped.details == {"field": ["bad"]}


def test_body_has_the_one_shape():
    mapped = map_exception(pe.not_found("person"))
    assert mapped.body() == {"error": {"status": 404, "code": "not_found",
                                       "message": "This person does not exist or you cannot see it.",
                                       "details": {}}}
    assert error_body(400, "bad_request", "x") == {
        "error": {"status": 400, "code": "bad_request", "message": "x", "details": {}}}


def test_too_many_requests_carries_retry_after():
    assert map_exception(pe.TooManyRequests("slow down", {"retry_after": 42})).headers == {
        "Retry-After": "42"}
    assert map_exception(pe.TooManyRequests("slow down")).headers["Retry-After"] == "60"
    assert map_exception(pe.TooManyRequests("x", {"retry_after": "soon"})).headers[
        "Retry-After"] == "60"


def test_nameko_errors():
    assert map_exception(RpcTimeout(5)).status == 504
    assert map_exception(UnknownService("feed")).status == 503
    remote = map_exception(RemoteError("MethodNotFound", "nope"))
    assert (remote.status, remote.code) == (501, "method_not_found")
    bug = map_exception(RemoteError("KeyError", "'secret detail'"))
    assert bug.status == 500 and "secret" not in bug.message


@pytest.mark.parametrize("exc", [ConnectionRefusedError(), socket.timeout(), OSError("down"),
                                 OperationalError("broker gone")])
def test_broker_failures_are_503(exc):
    mapped = map_exception(exc)
    assert (mapped.status, mapped.code) == (503, "unavailable")


def test_http_errors():
    assert map_exception(HttpNotFound()).code == "not_found"
    not_allowed = map_exception(MethodNotAllowed(valid_methods=["GET", "PATCH"]))
    assert not_allowed.status == 405 and not_allowed.headers["Allow"] == "GET, PATCH"
    assert map_exception(RequestEntityTooLarge()).code == "payload_too_large"


def test_webargs_validation_errors_keep_their_field_messages():
    with pytest.raises(Exception) as info:
        abort(422, messages={"json": {"email": ["Missing data for required field."]}})
    mapped = map_exception(info.value)
    assert mapped.status == 422 and mapped.code == "validation_failed"
    assert mapped.details == {"json": {"email": ["Missing data for required field."]}}


def test_anything_else_is_a_500_without_its_text():
    mapped = map_exception(ValueError("internal detail"))
    assert mapped.status == 500 and "internal detail" not in mapped.message


def test_snake_case():
    assert snake_case("MethodNotFound") == "method_not_found"
    assert snake_case("RpcTimeout") == "rpc_timeout"
