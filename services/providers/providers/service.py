"""The providers service's nameko entrypoints: parse input with its schema,
call a use case, return plain data."""
from __future__ import annotations

from tracker_common.contracts import providers as bodies
from tracker_common.contracts.errors import TrackerError
from tracker_common.contracts.events import EVENTS
from tracker_common.contracts.permissions import Principal
from tracker_common.dependencies import DatabaseWithOutbox, Telemetry
from tracker_common.entrypoints import rpc
from tracker_common.once import answered_once
from tracker_common.schemas import load

from .handlers import contracts, geography, locations
from .models import outbox, processed_events

expected = {"expected_exceptions": TrackerError}


class ProvidersService:
    name = "providers"

    db = DatabaseWithOutbox((outbox, processed_events))
    telemetry = Telemetry()

    @rpc
    def health(self):
        return {"service": self.name, "database": self.db.ping()}

    def _write(self, handler, *args):
        with self.db.unit_of_work() as uow:
            result = handler(uow, *args)
            uow.commit(answer=result)
            return result

    def _read(self, handler, *args):
        with self.db.unit_of_work() as uow:
            return handler(uow, *args)

    # -- geography --------------------------------------------------------------
    @rpc(**expected)
    def locate_postcode(self, postcode):
        """Where a typed postcode is (or its district, when the directory does
        not know it): InvalidInput for a malformed one, NotFound when unknown."""
        command = load(bodies.Postcode, {"postcode": postcode})
        with self.db.unit_of_work() as uow:
            return geography.locate(uow.session, command["postcode"]).to_dict()

    # -- locations ----------------------------------------------------------------
    @rpc(**expected)
    def get_location(self, actor, location_id):
        return self._read(locations.get_location, Principal.from_claims(actor), location_id)

    @rpc(**expected)
    def list_locations(self, actor, query):
        return self._read(locations.list_locations, Principal.from_claims(actor),
                          load(bodies.LocationQuery, query))

    @rpc(**expected)
    @answered_once
    def update_profile(self, actor, location_id, payload):
        return self._write(locations.update_profile, Principal.from_claims(actor), location_id,
                           load(bodies.ProfileUpdate, payload))

    @rpc(**expected)
    @answered_once
    def update_services(self, actor, location_id, payload):
        return self._write(locations.update_services, Principal.from_claims(actor), location_id,
                           load(bodies.ServicesUpdate, payload))

    @rpc(**expected)
    @answered_once
    def set_reminders(self, actor, location_id, payload):
        return self._write(locations.set_reminders, Principal.from_claims(actor), location_id,
                           load(bodies.ReminderSetting, payload))

    @rpc(**expected)
    @answered_once
    def deactivate_location(self, actor, location_id):
        return self._write(locations.deactivate_location, Principal.from_claims(actor), location_id)

    @rpc(**expected)
    def location_history(self, actor, location_id):
        return self._read(locations.location_history, Principal.from_claims(actor), location_id)

    @rpc(**expected)
    @answered_once
    def add_note(self, actor, location_id, payload):
        return self._write(locations.add_note, Principal.from_claims(actor), location_id,
                           load(bodies.NoteBody, payload))

    @rpc(**expected)
    @answered_once
    def edit_note(self, actor, location_id, note_id, payload):
        return self._write(locations.edit_note, Principal.from_claims(actor), location_id, note_id,
                           load(bodies.NoteBody, payload))

    @rpc(**expected)
    @answered_once
    def delete_note(self, actor, location_id, note_id):
        return self._write(locations.delete_note, Principal.from_claims(actor), location_id, note_id)

    @rpc(**expected)
    @answered_once
    def add_contact(self, actor, location_id, payload):
        return self._write(locations.add_contact, Principal.from_claims(actor), location_id,
                           load(bodies.ContactBody, payload))

    @rpc(**expected)
    @answered_once
    def update_contact(self, actor, location_id, contact_id, payload):
        return self._write(locations.update_contact, Principal.from_claims(actor), location_id, contact_id,
                           load(bodies.ContactBody, payload))

    @rpc(**expected)
    @answered_once
    def delete_contact(self, actor, location_id, contact_id):
        return self._write(locations.delete_contact, Principal.from_claims(actor), location_id, contact_id)

    # -- contracts ------------------------------------------------------------------
    @rpc(**expected)
    @answered_once
    def request_contract(self, actor, location_id, payload):
        return self._write(contracts.request_contract, Principal.from_claims(actor), location_id,
                           load(bodies.ContractRequest, payload))

    @rpc(**expected)
    def pending_contracts(self, actor):
        return self._read(contracts.pending_contracts, Principal.from_claims(actor))

    @rpc(**expected)
    @answered_once
    def decide_contract(self, actor, contract_id, payload):
        return self._write(contracts.decide_contract, Principal.from_claims(actor), contract_id,
                           load(bodies.ContractDecision, payload))

    @rpc(**expected)
    @answered_once
    def withdraw_contract(self, actor, location_id, contract_id):
        return self._write(contracts.withdraw_contract, Principal.from_claims(actor), location_id, contract_id)

    # -- for read models ---------------------------------------------------------------
    @rpc(**expected)
    def location_snapshots(self, after="", limit=500):
        """Every location's current snapshot, page by page (`next` is the
        `after` of the following page, None at the end)."""
        page = load(bodies.SnapshotPage, {"after": after, "limit": limit})
        schema = EVENTS["providers.location_updated"]()
        result = self._read(locations.snapshot_page, page["after"], page["limit"])
        result["snapshots"] = [schema.dump(s) for s in result["snapshots"]]
        return result

    @rpc(**expected)
    def geography_snapshots(self, after=""):
        """England's geography with its names, as
        `providers.geography_published` carries it: one page, served like
        every other snapshot RPC (`after` is there for that, and unused)."""
        schema = EVENTS["providers.geography_published"]()
        with self.db.unit_of_work() as uow:
            snapshot = schema.dump(geography.geography_snapshot(uow.session, uow.now()))
        return {"snapshots": [snapshot], "next": None}

    @rpc(**expected)
    def postcode_snapshots(self, after="", limit=5000):
        """The postcode directory and its version, page by page, as
        `providers.postcodes_published` carries it (`next` is the `after` of
        the following page, None at the end)."""
        page = load(bodies.PostcodePage, {"after": after, "limit": limit})
        with self.db.unit_of_work() as uow:
            return geography.postcode_snapshot_page(uow.session, page["after"], page["limit"])
