"""Entrypoints of the identity service: load input, authorise, delegate, dump output.

The rules live in the domain modules (``auth``, ``password_reset``, ``people``,
``profiles``, ``directory``, ``organisations``); this class only wires them to RPC and
events.
"""

from __future__ import annotations

import logging

from nameko.timer import timer

from parvis_contracts import events as ev
from parvis_contracts import settings
from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, dump, rpc, transactional
from parvis_contracts.handlers import idempotent_handler
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.metrics import Metrics
from parvis_contracts.schemas import load

from . import audit, auth, directory, organisations, password_reset, people, privacy, profiles
from . import schemas as s
from .access import load_viewer
from .models import metadata

log = logging.getLogger(__name__)

#: seconds between two maintenance passes (idle guests expire, old audit rows go)
SWEEP_INTERVAL = settings.value("PARVIS_IDENTITY_SWEEP_INTERVAL")


class IdentityService(PlatformEntrypoints):
    name = "identity"

    db = Database(metadata, publish_before_reply=True)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()

    def _viewer(self):
        return load_viewer(self.db, self.caller, self.clock())

    # --- anonymous ---------------------------------------------------------

    @rpc(anonymous=True)
    @transactional
    def sign_in(self, email, password, user_agent=None, ip=None):
        data = load(
            s.SignInSchema(), {"email": email, "password": password, "user_agent": user_agent, "ip": ip}
        )
        return dump(s.SessionSchema, auth.sign_in(self.db, self.clock(), **data))

    @rpc(anonymous=True)
    @transactional
    def resolve_session(self, session_token, touch=True):
        data = load(s.ResolveSchema(), {"session_token": session_token, "touch": touch})
        return dump(s.ResolvedSessionSchema, auth.resolve(self.db, self.clock(), **data))

    @rpc(anonymous=True)
    @transactional
    def sign_out(self, session_token):
        data = load(s.TokenSchema(), {"session_token": session_token})
        return auth.sign_out(self.db, self.clock(), **data)

    @rpc(anonymous=True)
    @transactional
    def get_invitation(self, token):
        data = load(s.InvitationTokenSchema(), {"token": token})
        return dump(s.InvitationInfoSchema, auth.get_invitation(self.db, self.clock(), **data))

    @rpc(anonymous=True)
    @transactional
    def accept_invitation(self, token, password):
        data = load(s.AcceptInvitationSchema(), {"token": token, "password": password})
        return dump(s.SessionSchema, auth.accept_invitation(self.db, self.clock(), **data))

    @rpc(anonymous=True)
    @transactional
    def request_password_reset(self, email, ip=None):
        data = load(s.RequestPasswordResetSchema(), {"email": email, "ip": ip})
        return dump(
            s.PasswordResetRequestedSchema, password_reset.request_reset(self.db, self.clock(), **data)
        )

    @rpc(anonymous=True)
    @transactional
    def check_password_reset(self, token):
        data = load(s.PasswordResetTokenSchema(), {"token": token})
        return dump(s.PasswordResetInfoSchema, password_reset.check_reset(self.db, self.clock(), **data))

    @rpc(anonymous=True)
    @transactional
    def reset_password(self, token, password):
        data = load(s.ResetPasswordSchema(), {"token": token, "password": password})
        return dump(s.PasswordResetDoneSchema, password_reset.reset_password(self.db, self.clock(), **data))

    # --- the signed-in person ------------------------------------------------

    @rpc
    @transactional
    def change_password(self, current_password, new_password):
        data = load(
            s.ChangePasswordSchema(), {"current_password": current_password, "new_password": new_password}
        )
        return auth.change_password(
            self.db, self._viewer(), self.clock(), session_id=self.caller.session_id, **data
        )

    @rpc
    @transactional
    def get_me(self):
        return dump(s.OwnProfileSchema, profiles.get_me(self.db, self._viewer()))

    @rpc
    @transactional
    def update_me(self, changes):
        data = load(s.UpdateMeSchema(), {"changes": changes})
        return dump(
            s.OwnProfileSchema, profiles.update_me(self.db, self._viewer(), self.clock(), data["changes"])
        )

    @rpc
    @transactional
    def set_photo(self, sha256, content_type):
        data = load(s.SetPhotoSchema(), {"sha256": sha256, "content_type": content_type})
        return dump(s.OwnProfileSchema, profiles.set_photo(self.db, self._viewer(), self.clock(), **data))

    @rpc
    @transactional
    def clear_photo(self):
        return dump(s.OwnProfileSchema, profiles.clear_photo(self.db, self._viewer(), self.clock()))

    @rpc
    @transactional
    def get_person(self, person_id):
        data = load(s.PersonIdSchema(), {"person_id": person_id})
        return dump(s.ProfileSchema, profiles.get_person(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def search_people(
        self, query=None, skill=None, department=None, country=None, language=None, limit=20, cursor=None
    ):
        data = load(
            s.SearchPeopleSchema(),
            {
                "query": query,
                "skill": skill,
                "department": department,
                "country": country,
                "language": language,
                "limit": limit,
                "cursor": cursor,
            },
        )
        return dump(s.PageSchema, directory.search(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def mentionable(self, community_id, query=None, handles=None, limit=10):
        """Whom the caller may mention in a community (its members only, and only to its
        members): suggestions for ``query``, and the people pasted ``handles`` name."""
        data = load(
            s.MentionableSchema(),
            {"community_id": community_id, "query": query, "handles": handles, "limit": limit},
        )
        return dump(s.MentionablePageSchema, directory.mentionable(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def people_cards(self, person_ids):
        data = load(s.PeopleCardsSchema(), {"person_ids": person_ids})
        found = profiles.people_cards(self.db, self._viewer(), **data)
        return {pid: dump(s.CardSchema, card) for pid, card in found.items()}

    @rpc
    @transactional
    def list_organisations(self):
        orgs = organisations.listing(self.db, self._viewer())
        return {"items": dump(s.OrganisationSchema, orgs, many=True)}

    # --- the platform itself ------------------------------------------------------

    @rpc
    @transactional
    def mail_profiles(self, person_ids):
        data = load(s.MailProfilesSchema(), {"person_ids": person_ids})
        found = profiles.mail_profiles(self.db, self._viewer(), self.clock(), **data)
        return {pid: dump(s.MailProfileSchema, profile) for pid, profile in found.items()}

    # --- administration ------------------------------------------------------

    @rpc
    @transactional
    def bootstrap(self, host_name, host_country, admin_email, admin_password, admin_name):
        data = load(
            s.BootstrapSchema(),
            {
                "host_name": host_name,
                "host_country": host_country,
                "admin_email": admin_email,
                "admin_password": admin_password,
                "admin_name": admin_name,
            },
        )
        return dump(s.BootstrapResultSchema, people.bootstrap(self.db, self._viewer(), self.clock(), **data))

    @rpc
    @transactional
    def create_organisation(self, name, kind, country):
        data = load(s.CreateOrganisationSchema(), {"name": name, "kind": kind, "country": country})
        return dump(s.OrganisationSchema, organisations.create(self.db, self._viewer(), self.clock(), **data))

    @rpc
    @transactional
    def update_organisation(self, org_id, changes):
        data = load(s.UpdateOrganisationSchema(), {"org_id": org_id, "changes": changes})
        return dump(s.OrganisationSchema, organisations.update(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def admin_list_people(self, query=None, org_id=None, guest=None, status=None, limit=50, cursor=None):
        data = load(
            s.AdminListPeopleSchema(),
            {
                "query": query,
                "org_id": org_id,
                "guest": guest,
                "status": status,
                "limit": limit,
                "cursor": cursor,
            },
        )
        return dump(s.AdminPageSchema, directory.admin_list(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def admin_create_person(
        self,
        email,
        display_name,
        org_id=None,
        roles=None,
        guest_expires_at=None,
        password=None,
        preferred_language="en",
        job_title=None,
        department=None,
        country=None,
        languages=None,
    ):
        data = load(
            s.AdminCreatePersonSchema(),
            {
                "email": email,
                "display_name": display_name,
                "org_id": org_id,
                "roles": roles,
                "guest_expires_at": guest_expires_at,
                "password": password,
                "preferred_language": preferred_language,
                "job_title": job_title,
                "department": department,
                "country": country,
                "languages": languages,
            },
        )
        return dump(s.CreatedPersonSchema, people.admin_create(self.db, self._viewer(), self.clock(), **data))

    @rpc
    @transactional
    def deactivate_person(self, person_id):
        data = load(s.PersonIdSchema(), {"person_id": person_id})
        return dump(s.AdminItemSchema, people.deactivate(self.db, self._viewer(), self.clock(), **data))

    @rpc
    @transactional
    def reactivate_person(self, person_id):
        data = load(s.PersonIdSchema(), {"person_id": person_id})
        return dump(s.AdminItemSchema, people.reactivate(self.db, self._viewer(), self.clock(), **data))

    @rpc
    @transactional
    def set_roles(self, person_id, roles):
        data = load(s.SetRolesSchema(), {"person_id": person_id, "roles": roles})
        return dump(s.AdminItemSchema, people.set_roles(self.db, self._viewer(), self.clock(), **data))

    @rpc
    @transactional
    def set_guest_expiry(self, person_id, guest_expires_at):
        data = load(s.SetGuestExpirySchema(), {"person_id": person_id, "guest_expires_at": guest_expires_at})
        return dump(s.AdminItemSchema, people.set_guest_expiry(self.db, self._viewer(), self.clock(), **data))

    # --- privacy (GDPR): export one's data, erase an account (privacy.py) -------

    @rpc
    @transactional
    def export_person_data(self, person_id):
        data = load(privacy.PersonIdIn(), {"person_id": person_id})
        return privacy.export(self.db, self._viewer(), **data)

    @rpc
    @transactional
    def erase_me(self, password):
        data = load(privacy.EraseMeIn(), {"password": password})
        return privacy.erase_me(self.db, self._viewer(), self.clock(), **data)

    @rpc
    @transactional
    def erase_person(self, person_id):
        data = load(privacy.PersonIdIn(), {"person_id": person_id})
        return privacy.erase_person(self.db, self._viewer(), self.clock(), **data)

    # --- audit log and guest expiry (audit.py) --------------------------------

    @rpc
    @transactional
    def audit_log(self, limit=50, cursor=None, action=None, subject=None):
        data = load(
            audit.AuditLogSchema(), {"limit": limit, "cursor": cursor, "action": action, "subject": subject}
        )
        return dump(audit.AuditPageSchema, audit.listing(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def record_refusals(self, refusals):
        data = load(audit.RecordRefusalsSchema(), {"refusals": refusals})
        return audit.record_refusals(self.db, self._viewer(), self.clock(), data["refusals"])

    @timer(interval=SWEEP_INTERVAL)
    def maintain(self):
        try:
            done = audit.maintain(self.db, self.clock())
            done["password_reset_rows_deleted"] = password_reset.sweep(self.db, self.clock())
        except Exception:
            self.db.rollback()
            log.exception("identity maintenance failed; it runs again at the next tick")
            return None
        if any(done.values()):
            log.info("identity maintenance: %s", done)
        return done

    # --- events: who shares a community with whom ----------------------------

    @idempotent_handler(ev.COMMUNITIES_MEMBER_ADDED)
    def on_member_added(self, envelope):
        data = load(s.MembershipSchema(), envelope.data)
        directory.member_added(self.db, data["community_id"], data["user_id"])
        if envelope.data.get("guest") is True:
            audit.record(
                self.db,
                self.clock(),
                audit.GUEST_ADDED_TO_COMMUNITY,
                None,
                data["user_id"],
                {"community_id": data["community_id"]},
            )

    @idempotent_handler(ev.COMMUNITIES_MEMBER_REMOVED)
    def on_member_removed(self, envelope):
        data = load(s.MembershipSchema(), envelope.data)
        directory.member_removed(self.db, data["community_id"], data["user_id"])
