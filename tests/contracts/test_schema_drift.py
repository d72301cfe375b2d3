"""One shape per concept: every API request field states what its service accepts.

The gateway's request schemas (``gateway/api``) make the OpenAPI document; the services'
boundary schemas (``services/*/schemas.py``) decide what is accepted. When a gateway
field is passed to a service field, both must carry the same constraints — string and
list length, number range, choices, pattern, type (the contracts' ``LanguageCode`` and
``Country`` included), required-ness where it matters and ``allow_none`` — or the API
reference lies (a name the reference allows answers 422 from the service, or the other
way round).

``PAIRS`` maps every gateway request schema to its service schema(s), with the field names
that differ, the gateway-only fields and the few differences that are deliberate (each
with its reason). A new request schema, or a new field of a mapped one, fails here until
the table says where it goes. Unit tier: nothing runs, schemas are only inspected.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from dataclasses import field as dc_field

import flask_smorest
import pytest
from marshmallow import Schema, fields, missing, validate

import gateway.api
from gateway.api import admin as gw_admin
from gateway.api import agenda as gw_agenda
from gateway.api import documents as gw_documents
from gateway.api import feed as gw_feed
from gateway.api import notifications as gw_notifications
from gateway.api import privacy as gw_privacy
from gateway.api import schemas as gw
from gateway.api import translation as gw_translation
from parvis_contracts import filetypes, idempotency
from parvis_contracts import schemas as contracts
from services.agenda import schemas as agenda
from services.communities import schemas as communities
from services.documents import schemas as documents
from services.feed import schemas as feed
from services.identity import audit as identity_audit
from services.identity import privacy as identity_privacy
from services.identity import schemas as identity
from services.notifications import schemas as notifications
from services.search import schemas as search
from services.translation import schemas as translation


@dataclass
class Pair:
    """A gateway request schema and the service schema(s) its fields are passed to."""

    gateway: type[Schema]
    services: tuple[type[Schema], ...]
    #: gateway field -> service field, where the names differ
    rename: dict = dc_field(default_factory=dict)
    #: gateway fields no service field receives -> why
    gateway_only: dict = dc_field(default_factory=dict)
    #: (gateway field, aspect) -> why the difference is deliberate
    allowed: dict = dc_field(default_factory=dict)
    #: an update: each field is sent only when given (a service field it fills may be required)
    partial: bool = False

    @property
    def name(self) -> str:
        return f"{self.gateway.__module__}.{self.gateway.__name__} -> " + " + ".join(
            f"{s.__module__}.{s.__name__}" for s in self.services
        )


CREATABLE_KINDS = (
    "the API creates partner organisations only: the host company is "
    "bootstrapped, and the service refuses a second one"
)

PAIRS = [
    # --- identity
    Pair(
        gw.SignInSchema,
        (identity.SignInSchema,),
        gateway_only={"issue_token": "the gateway returns the session token"},
    ),
    Pair(
        gw.AcceptInvitationSchema,
        (identity.AcceptInvitationSchema,),
        gateway_only={"issue_token": "the gateway returns the session token"},
    ),
    Pair(gw.PasswordChangeSchema, (identity.ChangePasswordSchema,)),
    Pair(gw.PasswordResetRequestSchema, (identity.RequestPasswordResetSchema,)),
    Pair(gw.PasswordResetSchema, (identity.ResetPasswordSchema,)),
    Pair(gw.MeUpdateSchema, (identity.ProfileChangesSchema,), partial=True),
    Pair(gw.PeopleQuerySchema, (identity.SearchPeopleSchema,), rename={"q": "query"}),
    Pair(gw.MentionableQuerySchema, (identity.MentionableSchema,), rename={"q": "query"}),
    Pair(gw.AnnouncementsQuerySchema, (feed.UnreadAnnouncementsSchema,)),
    Pair(gw.AdminPeopleQuerySchema, (identity.AdminListPeopleSchema,), rename={"q": "query"}),
    Pair(gw.AdminCreatePersonSchema, (identity.AdminCreatePersonSchema,)),
    Pair(gw.RolesSchema, (identity.SetRolesSchema,)),
    Pair(gw.GuestExpirySchema, (identity.SetGuestExpirySchema,)),
    Pair(
        gw.OrganisationCreateSchema,
        (identity.CreateOrganisationSchema,),
        allowed={("kind", "choices"): CREATABLE_KINDS},
    ),
    Pair(
        gw.OrganisationUpdateSchema,
        (identity.OrganisationChangesSchema,),
        partial=True,
        allowed={("kind", "choices"): CREATABLE_KINDS},
    ),
    Pair(gw_admin.AuditQuerySchema, (identity_audit.AuditLogSchema,)),
    Pair(gw_privacy.EraseMeSchema, (identity_privacy.EraseMeIn,)),
    # --- communities
    Pair(gw.CommunityQuerySchema, (communities.ListSchema,)),
    Pair(gw.CommunityCreateSchema, (communities.CreateSchema,)),
    Pair(gw.CommunityUpdateSchema, (communities.SettingsSchema,), partial=True),
    Pair(gw.PageQuerySchema, (communities.MembersInputSchema,)),
    Pair(gw.RoleSchema, (communities.SetRoleSchema,)),
    Pair(gw.InviteSchema, (communities.PersonInCommunitySchema,)),
    Pair(gw.JoinRequestCreateSchema, (communities.JoinRequestInputSchema,)),
    # --- feed
    Pair(gw.PageQuerySchema, (contracts.PageArgsSchema,)),
    Pair(gw.WallQuerySchema, (feed.WallSchema,)),
    Pair(gw.PostCreateSchema, (feed.CreatePostSchema,)),
    Pair(gw.PostEditSchema, (feed.EditPostSchema,)),
    Pair(gw.CommentCreateSchema, (feed.CreateCommentSchema,)),
    Pair(gw.CommentEditSchema, (feed.EditCommentSchema,)),
    Pair(gw.AcceptedAnswerSchema, (feed.AcceptAnswerSchema,)),
    Pair(gw.ReportCreateSchema, (feed.ReportSchema,)),
    Pair(gw.ReportQuerySchema, (feed.QueueSchema,)),
    Pair(gw.ResolveSchema, (feed.ResolveReportSchema,)),
    # --- documents
    Pair(gw_documents.FolderQuerySchema, (documents.ListFolderSchema,)),
    Pair(gw_documents.FolderCreateSchema, (documents.CreateFolderSchema,)),
    Pair(
        gw_documents.FolderUpdateSchema,
        (documents.RenameFolderSchema, documents.MoveFolderSchema),
        partial=True,
    ),
    Pair(
        gw_documents.DocumentUpdateSchema,
        (documents.RenameDocumentSchema, documents.MoveDocumentSchema),
        partial=True,
    ),
    Pair(gw_documents.UploadQuerySchema, (documents.PrepareUploadSchema, documents.CreateDocumentSchema)),
    Pair(gw_documents.VersionUploadQuerySchema, (documents.AddVersionSchema,)),
    Pair(gw_documents.VersionCommentSchema, (documents.RestoreVersionSchema,)),
    Pair(
        gw_documents.DownloadQuerySchema,
        (documents.DownloadSchema,),
        rename={"version": "number"},
        gateway_only={"disposition": "the gateway streams the bytes and sets the headers"},
    ),
    Pair(gw_documents.WikiPageCreateSchema, (documents.CreatePageSchema,)),
    Pair(gw_documents.WikiPageUpdateSchema, (documents.UpdatePageSchema,)),
    Pair(gw_documents.PageRevisionQuerySchema, (documents.GetPageSchema,)),
    Pair(gw_documents.PageDiffQuerySchema, (documents.DiffSchema,)),
    # --- translation
    Pair(
        gw_translation.TranslateRequestSchema,
        (translation.TranslateSchema, translation.ContentRefSchema),
        allowed={
            ("kind", "choices"): "the API translates what the gateway can read back "
            "with the caller's rights: posts, comments, pages",
            ("target", "allow_none"): "absent or null: the gateway sends the caller's preferred language",
        },
    ),
    Pair(gw_translation.TermQuerySchema, (translation.GlossaryListSchema,)),
    Pair(gw_translation.TermCreateSchema, (translation.GlossaryAddSchema,)),
    Pair(gw_translation.TermUpdateSchema, (translation.GlossaryUpdateSchema,), partial=True),
    Pair(gw_notifications.NotificationQuerySchema, (notifications.PageArgs,)),
    Pair(gw_notifications.FollowInSchema, (notifications.FollowIn,), partial=True),
    Pair(gw_notifications.LevelInSchema, (notifications.LevelIn,), partial=True),
    Pair(gw_notifications.MailPreferencesSchema, (notifications.MailPreferencesIn,)),
    # --- search
    Pair(gw.SearchQuerySchema, (search.SearchIn,), rename={"q": "query"}),
    Pair(gw.ExpertsQuerySchema, (search.ExpertsIn,)),
    Pair(gw.SkillsQuerySchema, (search.SkillsIn,)),
    # --- agenda
    Pair(gw_agenda.EventCreateSchema, (agenda.CreateEventIn,)),
    Pair(gw_agenda.EventUpdateSchema, (agenda.EventChanges,), partial=True),
    Pair(gw_agenda.ReaderZoneQuerySchema, (agenda.ReadEventIn,)),
    Pair(gw_agenda.AgendaQuerySchema, (agenda.AgendaArgs,)),
    Pair(gw_agenda.EventCancelInSchema, (agenda.CancelIn,)),
    Pair(gw_agenda.RsvpInSchema, (agenda.RsvpIn,)),
    Pair(gw_agenda.EventPeopleInSchema, (agenda.PeopleIn,)),
    Pair(gw_agenda.EventOrganisersInSchema, (agenda.OrganisersIn,)),
    Pair(gw_agenda.CalendarFeedInSchema, (agenda.FeedIn,)),
]

#: request schemas no service schema receives -> why
NO_COUNTERPART = {
    gw_feed.IdempotencyHeaderSchema: "the Idempotency-Key header: the services check it with "
    "parvis_contracts.idempotency.check_key (KEY_RE, tested "
    "below)",
}


# --- limits a service enforces in code, not with a validator ---------------------------
# Each entry is proven against the field itself by ``test_limits_enforced_in_code``.


def _code_limits(service_schema: type[Schema], name: str):
    """The limits a service field enforces in its ``_deserialize`` (or the domain code
    behind it), as ``{"length": (min, max), "items": {...}}``; None when it has none."""
    found = service_schema._declared_fields[name]
    if isinstance(found, feed.Body):
        return {"length": (1, feed.BODY_MAX)}
    if isinstance(found, feed.Attachments):
        return {"length": (0, feed.ATTACHMENTS_MAX)}
    if isinstance(found, documents.Title):
        return {"length": (1, documents.TITLE_MAX)}
    if isinstance(found, documents.PageBody):
        return {"length": (0, documents.PAGE_BODY_MAX)}
    if isinstance(found, documents.Comment):
        return {"length": (0, documents.COMMENT_MAX)}
    if isinstance(found, agenda.Title):
        return {"length": (1, agenda.limits.EVENT_TITLE_MAX)}
    if isinstance(found, identity.SkillList):
        return {"length": (0, identity.MAX_SKILLS), "items": {"length": (1, identity.MAX_SKILL_LEN)}}
    if service_schema.__module__ == documents.__name__ and name == "name":
        # file and folder names: parvis_contracts.filetypes.safe_filename, in the domain code
        return {"length": (1, filetypes.MAX_NAME_LENGTH)}
    return None


# --- what a field accepts ---------------------------------------------------------------


def _validators(field):
    for validator in field.validators:
        if isinstance(validator, validate.And):
            yield from validator.validators
        else:
            yield validator


def _type(field) -> str:
    for cls, name in (
        (contracts.LanguageCode, "ISO 639-1 code"),
        (contracts.Country, "ISO 3166-1 code"),
        (contracts.TimeZone, "IANA time zone"),
        (fields.Email, "e-mail"),
        (fields.Date, "date"),
        (fields.DateTime, "date-time"),
        (fields.Boolean, "boolean"),
        (fields.Integer, "integer"),
        (fields.String, "string"),
        (fields.List, "list"),
        (fields.Dict, "object"),
        (fields.Nested, "object"),
    ):
        if isinstance(field, cls):
            return name
    return type(field).__name__


def describe(field, code: dict | None = None) -> dict:
    """The constraints of one field, in a form both sides can be compared in."""
    lengths, ranges, choices, patterns = [], [], None, set()
    for validator in _validators(field):
        if isinstance(validator, validate.Length):
            if validator.equal is not None:
                lengths.append((validator.equal, validator.equal))
            else:
                lengths.append((validator.min or 0, validator.max))
        elif isinstance(validator, validate.Range):
            ranges.append((validator.min, validator.max))
        elif isinstance(validator, validate.OneOf):
            choices = frozenset(validator.choices)
        elif isinstance(validator, validate.Regexp):
            patterns.add(validator.regex.pattern)
    length = None
    if lengths:  # several Length validators: what all of them accept
        maxima = [most for _least, most in lengths if most is not None]
        length = (max(least for least, _most in lengths), min(maxima) if maxima else None)
    if code and "length" in code:
        length = code["length"]
    found = {
        "type": _type(field),
        "length": length,
        "range": ranges[0] if len(ranges) == 1 else (tuple(ranges) or None),
        "choices": choices,
        "pattern": frozenset(patterns) or None,
    }
    if isinstance(field, fields.List):
        found["items"] = describe(field.inner, (code or {}).get("items"))
    if isinstance(field, fields.Dict):
        found["keys"] = describe(field.key_field) if field.key_field else None
        found["values"] = describe(field.value_field) if field.value_field else None
    return found


def _flatten(description: dict, prefix: str = "") -> dict:
    flat = {}
    for aspect, value in description.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{aspect}."))
        else:
            flat[f"{prefix}{aspect}"] = value
    return flat


def _service_field(pair: Pair, name: str):
    for service_schema in pair.services:
        if name in service_schema._declared_fields:
            return service_schema, service_schema._declared_fields[name]
    return None, None


def _locations() -> dict:
    """Gateway request schema -> the request parts it is read from (json, query, headers)."""
    found: dict = {}
    for module in pkgutil.iter_modules(gateway.api.__path__):
        loaded = importlib.import_module(f"gateway.api.{module.name}")
        for blueprint in vars(loaded).values():
            if not isinstance(blueprint, flask_smorest.Blueprint):
                continue
            for methods in blueprint._docs.values():
                for doc in methods.values():
                    if not isinstance(doc, dict):
                        continue
                    for parameter in (doc.get("arguments") or {}).get("parameters", []):
                        schema = parameter["schema"]
                        schema = schema if isinstance(schema, type) else type(schema)
                        found.setdefault(schema, set()).add(parameter["in"])
    return found


LOCATIONS = _locations()


def differences(pair: Pair, gateway_schema=None, service_schemas=None, path: str = "") -> list:
    """Every (field, aspect, gateway's, service's) where the two sides differ."""
    gateway_schema = gateway_schema or pair.gateway
    body = bool(LOCATIONS.get(pair.gateway, {"json"}) & {"json", "form"})
    found = []
    for name, gateway_field in gateway_schema._declared_fields.items():
        if not path and name in pair.gateway_only:
            continue
        target = pair.rename.get(name, name) if not path else name
        if service_schemas is None:
            service_schema, service_field = _service_field(pair, target)
        else:
            service_schema = next((s for s in service_schemas if target in s._declared_fields), None)
            service_field = service_schema._declared_fields[target] if service_schema else None
        where = f"{path}{name}"
        if service_field is None:
            found.append((where, "field", "present", "absent"))
            continue
        mine = _flatten(describe(gateway_field))
        theirs = _flatten(describe(service_field, _code_limits(service_schema, target)))
        for aspect in sorted(set(mine) | set(theirs)):
            if mine.get(aspect) != theirs.get(aspect):
                found.append((where, aspect, mine.get(aspect), theirs.get(aspect)))
        if body and gateway_field.allow_none != service_field.allow_none:
            found.append((where, "allow_none", gateway_field.allow_none, service_field.allow_none))
        always_sent = gateway_field.required or gateway_field.load_default is not missing
        if service_field.required and not always_sent and not (pair.partial or path):
            found.append((where, "required", "optional (no default)", "required"))
        if gateway_field.required and not service_field.required:
            found.append((where, "required", "required", "optional"))
        if isinstance(gateway_field, fields.Nested) and isinstance(service_field, fields.Nested):
            found += differences(pair, gateway_field.nested, (service_field.nested,), f"{where}.")
    return found


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pair", PAIRS, ids=lambda p: f"{p.gateway.__name__}-{'+'.join(s.__name__ for s in p.services)}"
)
def test_a_gateway_request_field_states_what_its_service_accepts(pair):
    drift = []
    for where, aspect, mine, theirs in differences(pair):
        reason = pair.allowed.get((where, aspect))
        if reason is None:
            drift.append(f"  {where}: {aspect} is {mine!r} in the gateway, {theirs!r} in the service")
    assert not drift, (
        f"{pair.name}: the API states other constraints than the service enforces "
        f"(fix the side that is wrong, ideally with one constant of parvis_contracts.limits "
        f"for both; a gateway-only field goes in the pair's gateway_only, a deliberate "
        f"difference in its allowed, with the reason):\n" + "\n".join(drift)
    )


@pytest.mark.parametrize(
    "pair", PAIRS, ids=lambda p: f"{p.gateway.__name__}-{'+'.join(s.__name__ for s in p.services)}"
)
def test_the_table_has_no_stale_entry(pair):
    declared = pair.gateway._declared_fields
    for name in (*pair.rename, *pair.gateway_only):
        assert name in declared, f"{pair.name}: the table names {name!r}, no such field"
    for name, target in pair.rename.items():
        assert _service_field(pair, target)[1] is not None, (
            f"{pair.name}: {name!r} is mapped to {target!r}, which no service schema has"
        )
    for name in pair.gateway_only:
        assert _service_field(pair, pair.rename.get(name, name))[1] is None, (
            f"{pair.name}: {name!r} is gateway-only but a service field has its name: map it"
        )
    real = {(where, aspect) for where, aspect, _mine, _theirs in differences(pair)}
    for key in pair.allowed:
        assert key in real, (
            f"{pair.name}: {key} is allowed to differ but no longer does: remove it from the table"
        )


def test_every_request_schema_of_the_api_is_in_the_table():
    mapped = {pair.gateway for pair in PAIRS} | set(NO_COUNTERPART)
    missing_ones = sorted(
        f"{s.__module__}.{s.__name__} ({', '.join(sorted(where))})"
        for s, where in LOCATIONS.items()
        if s not in mapped
    )
    assert len(LOCATIONS) > 40  # the discovery itself works
    assert not missing_ones, (
        "request schemas with no entry in PAIRS (or NO_COUNTERPART, with the reason): "
        + "; ".join(missing_ones)
    )


def test_every_field_of_a_mapped_schema_is_covered():
    """A new gateway field must say which service field it is passed to (or why none)."""
    uncovered = []
    for pair in PAIRS:
        for name in pair.gateway._declared_fields:
            target = pair.rename.get(name, name)
            if name not in pair.gateway_only and _service_field(pair, target)[1] is None:
                uncovered.append(
                    f"{pair.gateway.__name__}.{name} (services: "
                    f"{', '.join(s.__name__ for s in pair.services)})"
                )
    assert not uncovered, (
        "gateway fields no service field receives; add them to the pair's "
        "rename or gateway_only: " + "; ".join(uncovered)
    )


def test_the_idempotency_header_has_the_services_pattern():
    header = gw_feed.IdempotencyHeaderSchema._declared_fields["idempotency_key"]
    assert describe(header)["pattern"] == frozenset({idempotency.KEY_RE.pattern})


# --- the limits enforced in code are the ones the table states ----------------------------


def _value(field, size: int):
    if isinstance(field, identity.SkillList):
        return [f"skill{i:03d}" for i in range(size)]
    if isinstance(field, feed.Attachments):
        return [f"doc-{i}" for i in range(size)]
    return "x" * size


def _accepts(field, value) -> bool:
    from marshmallow import ValidationError

    try:
        field.deserialize(value)
    except ValidationError:
        return False
    return True


CODE_CHECKED = sorted(
    {
        (service_schema, name)
        for pair in PAIRS
        for service_schema in pair.services
        for name in service_schema._declared_fields
        if _code_limits(service_schema, name)
    },
    key=lambda item: (item[0].__name__, item[1]),
)


@pytest.mark.parametrize(
    "service_schema, name", CODE_CHECKED, ids=[f"{s.__name__}.{n}" for s, n in CODE_CHECKED]
)
def test_limits_enforced_in_code(service_schema, name):
    field = service_schema._declared_fields[name]
    limits = _code_limits(service_schema, name)
    least, most = limits["length"]

    def accepts(value) -> bool:
        if service_schema.__module__ == documents.__name__ and name == "name":
            return _safe_name(value)
        return _accepts(field, value)

    assert accepts(_value(field, most)), f"{service_schema.__name__}.{name}: {most} refused"
    assert not accepts(_value(field, most + 1)), f"{service_schema.__name__}.{name}: {most + 1} accepted"
    if least:
        assert accepts(_value(field, least))
        assert not accepts(_value(field, least - 1)), (
            f"{service_schema.__name__}.{name}: {least - 1} accepted"
        )
    if "items" in limits:
        item_least, item_most = limits["items"]["length"]
        assert _accepts(field, ["s" * item_most]) and not _accepts(field, ["s" * (item_most + 1)])
        assert not _accepts(field, [" " * max(item_least, 1)])


def _safe_name(name: str) -> bool:
    from parvis_contracts.errors import ValidationFailed

    try:
        filetypes.safe_filename(name)
    except ValidationFailed:
        return False
    return True


def test_the_comparison_catches_a_drift():
    """The comparison itself: a gateway field wider than its service field is reported."""

    class Gateway(Schema):
        name = fields.String(required=True, validate=validate.Length(min=1, max=200))

    found = differences(Pair(Gateway, (communities.CreateSchema,)))
    assert found == [("name", "length", (1, 200), (communities.NAME_MIN, communities.NAME_MAX))]

    class Grown(gw.CommunityCreateSchema):
        colour = fields.String()

    assert ("colour", "field", "present", "absent") in differences(Pair(Grown, (communities.CreateSchema,)))

    class Nullable(Schema):
        role = fields.String(allow_none=True, validate=validate.OneOf(gw.MEMBER_ROLES))

    assert differences(Pair(Nullable, (communities.SetRoleSchema,))) == [
        ("role", "allow_none", True, False),
        ("role", "required", "optional (no default)", "required"),
    ]
