"""The notifications service's nameko entrypoints: parse input with its
schema, call a use case, return plain data.

Three loops run on timers: the dispatcher (due emails to the provider), the
jobs (events' emails whose recipients identity tells), and the schedules
(stale capacity reminders, the monthly refresh). Several instances can run
side by side: each claims its work with row locks."""
from __future__ import annotations

from datetime import timedelta
from functools import partial

import eventlet
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from prometheus_client import Counter, Gauge

from tracker_common.config import env, env_float, env_int
from tracker_common.contracts import notifications as bodies
from tracker_common.contracts.identity import ContactList
from tracker_common.contracts.errors import Forbidden, TrackerError
from tracker_common.contracts.permissions import Action, Principal, may
from tracker_common.dependencies import Clock, DatabaseWithOutbox, RebuildWhenEmpty, Telemetry
from tracker_common.entrypoints import RpcProxy, rpc, subscribe
from tracker_common.keys import message_sealer
from tracker_common.logs import get_logger
from tracker_common.once import answered_once
from tracker_common.rpc import ServiceTimeout
from tracker_common.schemas import load

from . import rules
from .delivery import NotifyProvider, provider_from_environment
from .handlers import dispatch, events, history, readmodel, rebuild, reminders, sending
from .models import outbox, processed_events
from .templates import DEFAULT_TEMPLATES

log = get_logger(__name__)
EMAIL_ATTEMPTS = Counter("tracker_email_attempts_total",
                         "Email deliveries attempted and status checks, by the status they led to", ["status"])
EMAILS_WAITING = Gauge("tracker_emails_waiting", "Emails due for an attempt or a status check now")
EMAIL_JOBS_FAILED = Counter("tracker_email_jobs_failed_total",
                            "Events whose recipients could not be looked up after every attempt")
expected = {"expected_exceptions": TrackerError}
SEND_EMAIL, QUERY, TEMPLATE_VERSION, REMINDERS = (bodies.SendEmailRequest(), bodies.NotificationQuery(),
                                                   bodies.TemplateVersionRequest(), bodies.ReminderRequest())
CONTACTS = ContactList()


class Delivery(DependencyProvider):
    """The delivery provider chosen by configuration (SMTP or GOV.UK Notify),
    the key that unseals personalisation, and the dispatcher's settings. A
    Notify provider missing a template id refuses to start."""

    def setup(self):
        self.provider = provider_from_environment()
        if isinstance(self.provider, NotifyProvider):
            missing = self.provider.unmapped([t.id for t in DEFAULT_TEMPLATES])
            if missing:
                raise ValueError("NOTIFY_TEMPLATE_IDS has no GOV.UK Notify template for: " + ", ".join(missing))
        self.sealer = message_sealer()
        self.settings = dispatch.DispatchSettings(
            batch=env_int("EMAIL_BATCH", 50),
            concurrency=env_int("EMAIL_CONCURRENCY", 8),
            rate_limit_per_minute=env_int("EMAIL_RATE_LIMIT_PER_MINUTE", 3000),
            max_attempts=env_int("EMAIL_MAX_ATTEMPTS", 5),
            retry_base_seconds=env_float("EMAIL_RETRY_BASE_SECONDS", 30.0),
            retry_cap_seconds=env_float("EMAIL_RETRY_CAP_SECONDS", 3600.0),
            lease_seconds=env_float("EMAIL_LEASE_SECONDS", 300.0),
            poll_seconds=env_float("EMAIL_STATUS_POLL_SECONDS", 10.0))
        self.links = rules.Links(env("PUBLIC_URL", "http://localhost:8000"))
        self.rpc_timeout = env_float("RPC_TIMEOUT", 10.0)
        # Events waiting for identity to name their recipients: about a day of tries.
        self.job_max_attempts = env_int("EMAIL_JOB_MAX_ATTEMPTS", 30)
        self.job_retry_base = env_float("EMAIL_JOB_RETRY_BASE_SECONDS", 5.0)
        self.history_days = env_int("EMAIL_HISTORY_DAYS", 90)
        self.collection_window = (env_int("COLLECTION_FIRST_DAY", 8), env_int("COLLECTION_LAST_DAY", 14))

    def get_dependency(self, worker_ctx):
        return self


def _administrator(actor: dict) -> Principal:
    principal = Principal.from_claims(actor)
    if not may(principal, Action.VIEW_NOTIFICATIONS):
        raise Forbidden("Only administrators can see the emails the system sends.")
    return principal


def _kept(event_type: str):
    """The subscriber that keeps `event_type`'s request for emails as a job."""
    @subscribe(event_type)
    def keep(self, event):
        self.db.apply_once(event, lambda uow, data: events.keep_job(uow, event))
    return keep


class NotificationsService:
    name = "notifications"

    db = DatabaseWithOutbox((outbox, processed_events))
    clock = Clock()
    telemetry = Telemetry()
    delivery = Delivery()
    # Names, managers and reminder switches of locations, from providers'
    # snapshots when this service starts with none (e.g. added late).
    rebuild_when_empty = RebuildWhenEmpty(partial(rebuild.rebuild_locations, only_if_empty=True))
    identity_rpc = RpcProxy("identity")
    capacity_rpc = RpcProxy("capacity")

    @rpc
    def health(self):
        return {"service": self.name, "database": self.db.ping(), "provider": self.delivery.provider.name}

    # -- sending ---------------------------------------------------------------------------
    @rpc(**expected)
    @answered_once
    def send_email(self, template, to, personalisation=None, reference=None, sender="system"):
        """GOV.UK Notify's send_email: returns {"id", "status", "duplicate"}."""
        request = load(SEND_EMAIL, {"template": template, "to": to, "personalisation": personalisation or {},
                                    "reference": reference})
        with self.db.unit_of_work() as uow:
            result = sending.send_email(uow, self.delivery.sealer, request, sender=str(sender)[:80])
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    @answered_once
    def send_reminders(self, actor, payload):
        """Remind locations to update their capacity (the report's button)."""
        command = load(REMINDERS, payload)
        with self.db.unit_of_work() as uow:
            result = reminders.manual_reminders(uow, Principal.from_claims(actor), command["location_ids"],
                                                lookup=self._contacts, sealer=self.delivery.sealer,
                                                links=self.delivery.links)
            uow.commit(answer=result)
            return result

    # -- status and history (administrators) ------------------------------------------------
    @rpc(**expected)
    def get_notification(self, actor, notification_id):
        _administrator(actor)
        with self.db.unit_of_work() as uow:
            return history.get_notification(uow, str(notification_id))

    @rpc(**expected)
    def find_notifications(self, actor, query=None):
        _administrator(actor)
        with self.db.unit_of_work() as uow:
            return history.find_notifications(uow, load(QUERY, query or {}))

    @rpc(**expected)
    def list_templates(self, actor):
        _administrator(actor)
        with self.db.unit_of_work() as uow:
            return sending.list_templates(uow)

    @rpc(**expected)
    def get_template(self, actor, template_id):
        _administrator(actor)
        with self.db.unit_of_work() as uow:
            return sending.get_template(uow, str(template_id))

    @rpc(**expected)
    @answered_once
    def publish_template_version(self, actor, template_id, payload):
        principal = _administrator(actor)
        command = load(TEMPLATE_VERSION, payload)
        with self.db.unit_of_work() as uow:
            result = sending.publish_version(uow, str(template_id), command, author=principal.user_id)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    def preview_template_version(self, actor, template_id, payload):
        """New wording rendered with sample personalisation, as an email
        would show it ({"subject", "html", "text", "personalisation"}); nothing
        is saved. Raises InvalidInput (unknown or broken placeholders, as
        publishing would), NotFound, Forbidden."""
        _administrator(actor)
        command = load(TEMPLATE_VERSION, payload)
        with self.db.unit_of_work() as uow:
            return sending.preview(uow, str(template_id), command)

    # -- the dispatcher --------------------------------------------------------------------
    @timer(interval=env_float("EMAIL_DISPATCH_INTERVAL", 1.0))
    def dispatch_due(self):
        """Send what is due, a batch at a time, several emails at once."""
        settings = self.delivery.settings
        while True:
            done = dispatch.dispatch_batch(self.db, self.delivery.sealer, self.delivery.provider, settings)
            for item, status in done:
                EMAIL_ATTEMPTS.labels(status).inc()
                log.info("email attempt", notification_id=item.notification_id, attempt=item.attempt,
                         status=status)
            if len(done) < settings.batch:
                with self.db.unit_of_work() as uow:
                    EMAILS_WAITING.set(dispatch.waiting(uow))
                return

    # Every event that asks for emails is kept as a job (once, whatever
    # redelivers it); `make_emails` turns jobs into emails.
    on_registration_submitted = _kept("identity.registration_submitted")
    on_access_requested = _kept("identity.access_requested")
    on_user_approved = _kept("identity.user_approved")
    on_user_rejected = _kept("identity.user_rejected")
    on_access_approved = _kept("identity.access_approved")
    on_access_rejected = _kept("identity.access_rejected")
    on_password_reset = _kept("identity.password_reset")
    on_password_expiring = _kept("identity.password_expiring")
    on_account_locked = _kept("identity.account_locked")
    on_password_reset_requested = _kept("identity.password_reset_requested")
    on_password_reset_completed = _kept("identity.password_reset_completed")
    on_mfa_reset = _kept("identity.mfa_reset")
    on_contract_requested = _kept("providers.contract_requested")
    on_contract_decided = _kept("providers.contract_decided")
    on_bulk_upload_processed = _kept("capacity.bulk_upload_processed")

    @subscribe("providers.location_updated", batch=True)
    def on_location_updated(self, events):
        self.db.apply_snapshots(events, readmodel.apply_location_snapshots)

    def _ask(self, call, *args, timeout: float | None = None):
        """Call another service, never waiting for ever."""
        try:
            with eventlet.Timeout(timeout or self.delivery.rpc_timeout):
                return call(*args)
        except eventlet.Timeout:  # a BaseException: made an error callers can wait on
            raise ServiceTimeout("a service did not answer in time")

    def _contacts(self, query: dict) -> dict:
        """Whom identity says to email (its answer checked at both ends)."""
        return load(CONTACTS, self._ask(self.identity_rpc.contacts, query))

    @timer(interval=env_float("EMAIL_JOBS_INTERVAL", 1.0))
    def make_emails(self):
        """Make the emails of the events waiting for their recipients."""
        with self.db.unit_of_work() as uow:
            job_ids = events.due_jobs(uow, 50)
        for job_id in job_ids:
            with self.db.unit_of_work() as uow:
                status = events.run_job(
                    uow, job_id, lookup=self._contacts, sealer=self.delivery.sealer, links=self.delivery.links,
                    max_attempts=self.delivery.job_max_attempts, retry_base=self.delivery.job_retry_base,
                    retry_cap=3600.0)
                uow.commit()
            if status == "failed":
                EMAIL_JOBS_FAILED.inc()
                log.error("emails of an event could not be made; `python -m notifications.manage retry-jobs` "
                          "once identity answers", event_id=job_id)

    # -- schedules (each on its own: one failing does not hold up the others) -------------
    @timer(interval=env_float("REMINDER_INTERVAL", 900.0))
    def remind_stale_locations(self):
        """Capacity not updated for 24 / 48 hours (capacity says which)."""
        stale = self._ask(self.capacity_rpc.stale_locations, {"older_than_hours": 24},
                          timeout=self.delivery.rpc_timeout * 3)
        with self.db.unit_of_work() as uow:
            made = reminders.stale_reminders(uow, stale, lookup=self._contacts, sealer=self.delivery.sealer,
                                             links=self.delivery.links)
            uow.commit()
        log.info("stale capacity reminders", emails=made)

    @timer(interval=env_float("REMINDER_INTERVAL", 900.0))
    def send_monthly_refresh(self):
        """The monthly refresh, on the first day of the collection window."""
        first_day, last_day = self.delivery.collection_window
        with self.db.unit_of_work() as uow:
            made = reminders.monthly_refresh(uow, lookup=self._contacts, sealer=self.delivery.sealer,
                                             links=self.delivery.links, first_day=first_day, last_day=last_day)
            uow.commit()
        if made:
            log.info("monthly refresh", emails=made)

    @timer(interval=3600)
    def forget_old_emails(self):
        """Emails past the retention period; jobs done a week ago."""
        with self.db.unit_of_work() as uow:
            forgotten = history.forget_old(uow, timedelta(days=self.delivery.history_days))
            events.forget_done_jobs(uow, timedelta(days=7))
            uow.commit()
        log.info("old emails forgotten", emails=forgotten)
