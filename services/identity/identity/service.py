"""Identity's nameko entrypoints: parse input with its schema, call a use
case, return plain data. Errors are `tracker_common.contracts.errors` types."""
from __future__ import annotations

from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

from tracker_common.contracts import identity as bodies
from tracker_common.contracts.errors import Conflict, TrackerError
from tracker_common.contracts.permissions import Principal
from tracker_common.dependencies import Clock, DatabaseWithOutbox, Telemetry
from tracker_common.entrypoints import rpc, subscribe
from tracker_common.once import answered_once
from tracker_common.schemas import load

from . import handlers
from .dependencies import IdentitySettings
from .models import outbox, processed_events

expected = {"expected_exceptions": TrackerError}


def _client(client) -> dict:
    return load(bodies.ClientInfo, client or {})


class IdentityService:
    name = "identity"

    db = DatabaseWithOutbox((outbox, processed_events))
    settings = IdentitySettings()
    clock = Clock()
    telemetry = Telemetry()

    @rpc
    def health(self):
        return {"service": self.name, "database": self.db.ping()}

    # -- registration and applications ------------------------------------
    @rpc(**expected)
    @answered_once
    def register(self, payload):
        command = load(bodies.RegistrationRequest, payload)
        with self.db.unit_of_work() as uow:
            application = handlers.register(uow, command)
            try:
                uow.commit(answer=application)
            except IntegrityError:  # the same email registered concurrently
                raise Conflict("An account or application already exists for this email address.",
                               fields={"email": ["Already registered."]})
            return application

    @rpc(**expected)
    @answered_once
    def request_location_access(self, actor, payload):
        command = load(bodies.AccessRequest, payload)
        with self.db.unit_of_work() as uow:
            application = handlers.request_location_access(uow, Principal.from_claims(actor), command)
            uow.commit(answer=application)
            return application

    @rpc(**expected)
    def list_pending_applications(self, actor):
        with self.db.unit_of_work() as uow:
            return handlers.list_pending_applications(uow, Principal.from_claims(actor))

    @rpc(**expected)
    @answered_once
    def decide_application(self, actor, application_id, payload):
        command = load(bodies.DecisionRequest, payload)
        with self.db.unit_of_work() as uow:
            result = handlers.decide_application(uow, self.settings, Principal.from_claims(actor),
                                                 application_id, command)
            uow.commit(answer=result)
            return result

    # -- login and passwords ---------------------------------------------------
    @rpc(**expected)
    def authenticate(self, payload, client=None):
        """`client`: the caller's address and user agent (`ClientInfo`), for
        the audit of sign-ins."""
        command = load(bodies.TokenRequest, payload)
        with self.db.unit_of_work() as uow:
            return handlers.authenticate(uow, self.settings, command, _client(client))

    # -- the second factor (handlers.mfa) ---------------------------------------
    @rpc(**expected)
    def complete_sign_in(self, payload, client=None):
        """The access token, for the `mfa_token` of a sign-in and its code."""
        command = load(bodies.MfaCodeRequest, payload)
        with self.db.unit_of_work() as uow:
            return handlers.complete_sign_in(uow, self.settings, command, _client(client))

    @rpc(**expected)
    def begin_mfa_enrolment(self, payload):
        """{secret, otpauth_uri} of the authenticator app to set up."""
        command = load(bodies.MfaTokenRequest, payload)
        with self.db.unit_of_work() as uow:
            return handlers.begin_enrolment(uow, self.settings, command)

    @rpc(**expected)
    def confirm_mfa_enrolment(self, payload, client=None):
        """The access token and ten recovery codes (shown once)."""
        command = load(bodies.MfaCodeRequest, payload)
        with self.db.unit_of_work() as uow:
            return handlers.confirm_enrolment(uow, self.settings, command, _client(client))

    @rpc(**expected)
    def mfa_status(self, actor):
        with self.db.unit_of_work() as uow:
            return handlers.mfa_status(uow, self.settings, Principal.from_claims(actor))

    @rpc(**expected)
    def regenerate_recovery_codes(self, actor, payload):
        command = load(bodies.RecoveryCodesRequest, payload)
        with self.db.unit_of_work() as uow:
            result = handlers.regenerate_recovery_codes(uow, self.settings, Principal.from_claims(actor), command)
            uow.commit()
            return result

    @rpc(**expected)
    def reset_mfa(self, actor, user_id):
        with self.db.unit_of_work() as uow:
            result = handlers.reset_mfa(uow, self.settings, Principal.from_claims(actor), user_id)
            uow.commit()
            return result

    @rpc(**expected)
    def change_password(self, payload, client=None):
        command = load(bodies.PasswordChangeRequest, payload)
        with self.db.unit_of_work() as uow:
            handlers.change_password(uow, self.settings, command, _client(client))

    @rpc(**expected)
    def request_password_reset(self, payload, client=None):
        """Forgotten password: a link is emailed if an account uses the
        address. Answers None whether or not one does."""
        command = load(bodies.PasswordResetLinkRequest, payload)
        with self.db.unit_of_work() as uow:
            handlers.request_password_reset(uow, self.settings, command, _client(client))

    @rpc(**expected)
    def reset_password_with_link(self, payload, client=None):
        """A new password with the emailed link's token: {"email"}. Raises
        InvalidInput naming `token` or `new_password`."""
        command = load(bodies.PasswordResetRequest, payload)
        with self.db.unit_of_work() as uow:
            return handlers.reset_password_with_link(uow, self.settings, command, _client(client))

    @rpc(**expected)
    def find_places(self, query):
        """Care homes (by name or postcode) and organisations (by name) to
        apply to: the public application form's search."""
        text = load(bodies.PlaceQuery, query)["text"]
        with self.db.unit_of_work() as uow:
            return handlers.find_places(uow, text)

    @rpc(**expected)
    def renew_token(self, token):
        """A fresh access token for the holder of a valid one (web sessions)."""
        command = load(bodies.TokenRenewal, {"token": token})
        with self.db.unit_of_work() as uow:
            return handlers.renew_access_token(uow, self.settings, command["token"])

    @rpc(**expected)
    def authenticate_api_key(self, key):
        command = load(bodies.ApiKeyCheck, {"key": key})
        with self.db.unit_of_work() as uow:
            claims = handlers.authenticate_api_key(uow, command["key"])
            uow.commit()
            return claims

    @timer(interval=3600)
    def send_password_expiry_reminders(self):
        with self.db.unit_of_work() as uow:
            handlers.send_password_expiry_reminders(uow, self.settings)
            uow.commit()

    @timer(interval=3600)
    def forget_old_sign_ins(self):
        with self.db.unit_of_work() as uow:
            handlers.forget_old_sign_ins(uow, self.settings)
            uow.commit()

    # -- users -------------------------------------------------------------------
    @rpc(**expected)
    def me(self, actor):
        with self.db.unit_of_work() as uow:
            return handlers.me(uow, self.settings, Principal.from_claims(actor))

    @rpc(**expected)
    def list_users(self, actor, organisation_id):
        with self.db.unit_of_work() as uow:
            return handlers.list_users(uow, self.settings, Principal.from_claims(actor), organisation_id)

    @rpc(**expected)
    def last_logins(self, actor, query):
        """The last login report of one organisation (the actor's own by
        default). Raises InvalidInput, Forbidden, NotFound."""
        command = load(bodies.LastLoginQuery, query)
        with self.db.unit_of_work() as uow:
            return handlers.last_logins(uow, Principal.from_claims(actor), command)

    @rpc(**expected)
    @answered_once
    def reset_password(self, actor, user_id):
        with self.db.unit_of_work() as uow:
            result = handlers.reset_password(uow, self.settings, Principal.from_claims(actor), user_id)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    @answered_once
    def deactivate_user(self, actor, user_id):
        with self.db.unit_of_work() as uow:
            result = handlers.deactivate_user(uow, self.settings, Principal.from_claims(actor), user_id)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    @answered_once
    def grant_permissions(self, actor, user_id, payload):
        command = load(bodies.GrantRequest, payload)
        with self.db.unit_of_work() as uow:
            result = handlers.grant_permissions(uow, self.settings, Principal.from_claims(actor),
                                                user_id, command)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    def audit_trail(self, actor, user_id=None, query=None):
        """Access-control changes, or (`query` kind "sign_ins") sign-ins, newest
        first. Raises Forbidden, NotFound, InvalidInput."""
        command = load(bodies.AuditQuery, query or {})
        with self.db.unit_of_work() as uow:
            if command["kind"] == "sign_ins":
                return handlers.sign_in_audit(uow, Principal.from_claims(actor), user_id, command)
            return handlers.audit_trail(uow, Principal.from_claims(actor), user_id, command)

    # -- terms of use --------------------------------------------------------
    @rpc(**expected)
    @answered_once
    def publish_terms(self, actor, payload):
        command = load(bodies.TermsRequest, payload)
        with self.db.unit_of_work() as uow:
            result = handlers.publish_terms(uow, Principal.from_claims(actor), command)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    def current_terms(self):
        with self.db.unit_of_work() as uow:
            return handlers.current_terms(uow)

    # -- API users -----------------------------------------------------------------
    @rpc(**expected)
    @answered_once
    def create_api_user(self, actor, payload):
        command = load(bodies.ApiUserRequest, payload)
        with self.db.unit_of_work() as uow:
            result = handlers.create_api_user(uow, self.settings, Principal.from_claims(actor), command)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    def create_api_key(self, actor, user_id, payload):
        command = load(bodies.ApiKeyRequest, payload)
        with self.db.unit_of_work() as uow:
            result = handlers.create_api_key(uow, Principal.from_claims(actor), user_id, command)
            uow.commit()
            return result

    @rpc(**expected)
    def list_api_keys(self, actor, user_id):
        with self.db.unit_of_work() as uow:
            return handlers.list_api_keys(uow, Principal.from_claims(actor), user_id)

    @rpc(**expected)
    @answered_once
    def revoke_api_key(self, actor, user_id, key_id):
        with self.db.unit_of_work() as uow:
            result = handlers.revoke_api_key(uow, Principal.from_claims(actor), user_id, key_id)
            uow.commit(answer=result)
            return result

    # -- contacts, for other services' emails ---------------------------------------
    @rpc(**expected)
    def contacts(self, query):
        """Whom to email, as identity knows it now (`ContactsQuery`: exactly
        one of user_ids, location_ids, commissioner_code). Returns a
        `ContactList`: {"contacts": [{user_id, email, name, location_ids}],
        "routed_to"}, sorted by email. Raises InvalidInput for a bad query."""
        command = load(bodies.ContactsQuery, query)
        with self.db.unit_of_work() as uow:
            return handlers.resolve_contacts(uow, command)

    # -- what identity keeps of providers' organisations and locations -------
    # (versioned snapshots, applied newer-wins: see handlers/readmodel.py)
    @subscribe("providers.organisation_updated", batch=True)
    def on_organisation_updated(self, events):
        self.db.apply_snapshots(events, handlers.apply_organisation_snapshots)

    @subscribe("providers.location_updated", batch=True)
    def on_location_updated(self, events):
        self.db.apply_snapshots(events, handlers.apply_location_snapshots)
