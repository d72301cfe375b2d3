"""Text no database can store (NUL, unpaired surrogates) is a 422 at every service's boundary,
wherever it hides in the input, before any schema or database sees it."""

import pytest
from marshmallow import Schema, fields

from parvis_contracts.errors import ValidationFailed
from parvis_contracts.schemas import UNSTORABLE, load, unstorable_fields


class PostIn(Schema):
    body = fields.String()
    attachments = fields.List(fields.String())
    meta = fields.Dict()


@pytest.mark.parametrize(
    "data, where",
    [
        ({"body": "a\x00b"}, "body"),
        ({"attachments": ["ok", "\ud963"]}, "attachments.1"),
        ({"meta": {"nested": ["x", {"deep": "\udfff"}]}}, "meta.nested.1.deep"),
        ({"meta": {"k\x00": "v"}}, "meta.k\x00"),
    ],
)
def test_unstorable_text_is_refused_with_its_place(data, where):
    with pytest.raises(ValidationFailed) as refused:
        load(PostIn(), data)
    assert refused.value.details == {where: [UNSTORABLE]}


def test_ordinary_text_emoji_and_control_characters_pass():
    data = {"body": "Bonjour \U0001f600 \u00e9\t\x11", "attachments": ["a"], "meta": {"k": 1}}
    assert unstorable_fields(data) == {}
    assert load(PostIn(), data) == data
