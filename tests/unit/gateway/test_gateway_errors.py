"""The gateway's one error mapping (pure function, no broker)."""

import socket

import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from webargs.flaskparser import abort
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge
from werkzeug.exceptions import NotFound as HttpNotFound

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
    assert mapped.body() == {
        "error": {
            "status": 404,
            "code": "not_found",
            "message": "This person does not exist or you cannot see it.",
            "details": {},
        }
    }
    assert error_body(400, "bad_request", "x") == {
        "error": {"status": 400, "code": "bad_request", "message": "x", "details": {}}
    }


def test_too_many_requests_carries_retry_after():
    assert map_exception(pe.TooManyRequests("slow down", {"retry_after": 42})).headers == {
        "Retry-After": "42"
    }
    assert map_exception(pe.TooManyRequests("slow down")).headers["Retry-After"] == "60"
    assert map_exception(pe.TooManyRequests("x", {"retry_after": "soon"})).headers["Retry-After"] == "60"


def test_nameko_errors():
    assert map_exception(RpcTimeout(5)).status == 504
    assert map_exception(UnknownService("feed")).status == 503
    remote = map_exception(RemoteError("MethodNotFound", "nope"))
    assert (remote.status, remote.code) == (501, "method_not_found")
    bug = map_exception(RemoteError("KeyError", "'secret detail'"))
    assert bug.status == 500 and "secret" not in bug.message


@pytest.mark.parametrize(
    "exc", [ConnectionRefusedError(), TimeoutError(), OSError("down"), OperationalError("broker gone")]
)
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
    # details.<field>, as a service's ValidationFailed says it: not details.json.<field>
    assert mapped.details == {"email": ["Missing data for required field."]}


def test_webargs_locations_are_flattened_into_one_field_map():
    with pytest.raises(Exception) as info:
        abort(
            422,
            messages={
                "query": {"limit": ["Too big."]},
                "json": {"name": ["Too short."], "limit": ["Not a number."]},
                "headers": {"Idempotency-Key": ["1 to 128 characters."]},
            },
        )
    assert map_exception(info.value).details == {
        "limit": ["Too big.", "Not a number."],
        "name": ["Too short."],
        "Idempotency-Key": ["1 to 128 characters."],
    }
    with pytest.raises(Exception) as info:
        abort(400, messages={"json": ["Invalid JSON body."]})
    assert map_exception(info.value).details == {"_schema": ["Invalid JSON body."]}
    # anything else keeps its keys
    assert map_exception(pe.Forbidden("no", {"reason": "csrf"})).details == {"reason": "csrf"}


def test_a_service_update_refusal_has_the_shape_of_a_create_refusal():
    from marshmallow import Schema, fields, validate

    from parvis_contracts.schemas import load

    class Changes(Schema):
        name = fields.String(validate=validate.Length(min=3))

    class Update(Schema):
        community_id = fields.String(required=True)
        changes = fields.Nested(Changes, required=True)

    with pytest.raises(pe.ValidationFailed) as update:
        load(Update(), {"community_id": "c1", "changes": {"name": "ab"}})
    with pytest.raises(pe.ValidationFailed) as create:
        load(Changes(), {"name": "ab"})
    assert (
        map_exception(update.value).details
        == map_exception(create.value).details
        == {"name": ["Shorter than minimum length 3."]}
    )


def test_anything_else_is_a_500_without_its_text():
    mapped = map_exception(ValueError("internal detail"))
    assert mapped.status == 500 and "internal detail" not in mapped.message


def test_snake_case():
    assert snake_case("MethodNotFound") == "method_not_found"
    assert snake_case("RpcTimeout") == "rpc_timeout"
