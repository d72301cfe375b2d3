"""Error types: they cross nameko as themselves, and the HTTP table covers them all."""

import json

import pytest
from nameko.exceptions import RemoteError, deserialize, serialize

from parvis_contracts import errors


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


ERROR_CLASSES = sorted(all_subclasses(errors.ParvisError), key=lambda c: c.__name__)


def test_there_are_error_classes():
    assert {c.__name__ for c in ERROR_CLASSES} >= {
        "NotFound",
        "Forbidden",
        "Unauthenticated",
        "ValidationFailed",
        "Conflict",
        "TooManyRequests",
        "PayloadTooLarge",
        "Unavailable",
        "BadRequest",
    }


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_error_roundtrips_through_nameko_serialisation(cls):
    original = cls("Something is off.", {"field": ["Missing data."], "other": "x"})
    # what travels: nameko's serialised form, through JSON as on the wire
    data = json.loads(json.dumps(serialize(original)))
    restored = deserialize(data)
    assert type(restored) is cls
    assert restored.message == "Something is off."
    assert restored.details == {"field": ["Missing data."], "other": "x"}
    assert str(restored) == "Something is off."
    assert restored.to_dict() == {
        "code": cls.code,
        "message": "Something is off.",
        "details": {"field": ["Missing data."], "other": "x"},
    }


def test_details_keep_their_json_types():
    original = errors.TooManyRequests(
        "Slow down.", {"retry_after": 30, "locked": True, "until": None, "fields": {"a": [1, 2]}}
    )
    restored = deserialize(json.loads(json.dumps(serialize(original))))
    assert restored.details == {"retry_after": 30, "locked": True, "until": None, "fields": {"a": [1, 2]}}


def test_error_without_details_roundtrips_with_empty_details():
    restored = deserialize(json.loads(json.dumps(serialize(errors.NotFound("Gone.")))))
    assert isinstance(restored, errors.NotFound)
    assert restored.details == {} and restored.message == "Gone."


def test_unregistered_exceptions_become_remote_errors():
    restored = deserialize(json.loads(json.dumps(serialize(KeyError("k")))))
    assert isinstance(restored, RemoteError)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_http_status_covers_every_error_class(cls):
    assert cls.__name__ in errors.HTTP_STATUS
    assert errors.HTTP_STATUS[cls.__name__] == cls.status
    assert 400 <= cls.status < 600
    assert errors.ERRORS[cls.__name__] is cls


def test_codes_are_unique_and_not_the_base_code():
    codes = [cls.code for cls in ERROR_CLASSES]
    assert len(codes) == len(set(codes))
    assert "error" not in codes


def test_not_found_wording_is_the_same_for_absent_and_invisible():
    assert errors.not_found("post").message == errors.not_found("post").message
    assert isinstance(errors.not_found(), errors.NotFound)
