"""``ValidationFailed.details`` has one shape at every boundary: field -> messages.

An update RPC takes its fields in ``changes``; a refused change is still reported under
the field's own name (``details.name``), exactly as a create reports it, so that the
gateway answers ``details.<field>`` for a POST and a PATCH alike.
"""

import pytest
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from parvis_contracts.errors import ValidationFailed
from parvis_contracts.schemas import field_details, load


class Settings(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(3, 80))
    languages = fields.List(fields.String(validate=validate.Length(2, 2)))
    visibility = fields.Nested(
        Schema.from_dict({"phone": fields.String(validate=validate.OneOf(("everyone", "private")))})
    )


class Update(Schema):
    class Meta:
        unknown = RAISE

    community_id = fields.String(required=True, validate=validate.Length(1, 64))
    changes = fields.Nested(Settings, required=True)

    @post_load
    def _not_empty(self, data, **kwargs):
        if not data["changes"]:
            raise ValidationError("Give at least one setting to change.", "changes")
        return data


def refused(schema, data) -> dict:
    with pytest.raises(ValidationFailed) as info:
        load(schema, data)
    return info.value.details


def test_a_refused_change_is_named_as_in_a_create():
    update = refused(Update(), {"community_id": "c1", "changes": {"name": "ab"}})
    create = refused(Settings(), {"name": "ab"})
    assert update == create == {"name": ["Length must be between 3 and 80."]}


def test_nested_and_list_fields_keep_their_own_nesting():
    details = refused(
        Update(),
        {
            "community_id": "c1",
            "changes": {"languages": ["fr", "english"], "visibility": {"phone": "friends"}, "colour": "red"},
        },
    )
    assert details == {
        "languages": {1: ["Length must be between 2 and 2."]},
        "visibility": {"phone": ["Must be one of: everyone, private."]},
        "colour": ["Unknown field."],
    }


def test_the_changes_as_a_whole_are_the_schema():
    assert refused(Update(), {"community_id": "c1", "changes": {}}) == {
        "_schema": ["Give at least one setting to change."]
    }
    assert refused(Update(), {"community_id": "c1", "changes": "name=x"}) == {
        "_schema": ["Invalid input type."]
    }
    missing = refused(Update(), {"community_id": "", "changes": None})
    assert set(missing) == {"community_id", "_schema"}


def test_unstorable_text_in_a_change_is_named_as_the_field():
    assert refused(Update(), {"community_id": "c1", "changes": {"name": "a\x00b"}}) == {
        "name": ["Text may not contain NUL characters or unpaired surrogates."]
    }


def test_field_details_of_other_shapes():
    assert field_details(["Bad."]) == {"_schema": ["Bad."]}
    assert field_details({"name": ["Bad."]}) == {"name": ["Bad."]}
    assert field_details({"org_id": ["A."], "changes": {"org_id": ["B."]}}) == {"org_id": ["A.", "B."]}
