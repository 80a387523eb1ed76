"""Organisations and locations as identity keeps them: snapshots from the
providers service, applied only when newer than what is held."""
import pytest

from identity import handlers
from identity.models import Location, Organisation

ORGANISATION = dict(organisation_id="prov-c", name="Cedar Care", kind="care_provider",
                    email_domains=["Cedar-Care.example"], ons_code=None, la_code="E08000016",
                    sub_icb_code="02P")
LOCATION = dict(location_id="1-300", organisation_id="prov-c", name="Cedar House", postcode="S70 1CC",
                la_code="E08000016", sub_icb_code="02P", active=True)


def apply(identity_db, handler, snapshot):
    with identity_db.unit_of_work() as uow:
        applied = handler(uow, snapshot)
        uow.commit()
        return applied


def stored(identity_db, model, key):
    with identity_db.unit_of_work() as uow:
        row = uow.session.get(model, key)
        if row is not None:
            uow.session.expunge(row)
        return row


def test_a_new_organisation_is_stored(identity_db):
    assert apply(identity_db, handlers.apply_organisation_snapshot, {**ORGANISATION, "version": 1}) is True
    organisation = stored(identity_db, Organisation, "prov-c")
    assert (organisation.version, organisation.name, organisation.email_domains, organisation.la_code) == (
        1, "Cedar Care", ["cedar-care.example"], "E08000016")


def test_a_newer_organisation_snapshot_replaces_the_old(identity_db):
    apply(identity_db, handlers.apply_organisation_snapshot, {**ORGANISATION, "version": 1})

    assert apply(identity_db, handlers.apply_organisation_snapshot,
                 {**ORGANISATION, "version": 2, "name": "Cedar Care Group", "email_domains": ["cedar.example"]})

    organisation = stored(identity_db, Organisation, "prov-c")
    assert (organisation.version, organisation.name, organisation.email_domains) == (
        2, "Cedar Care Group", ["cedar.example"])


@pytest.mark.parametrize("version", [3, 2])  # equal, then older
def test_an_older_or_equal_organisation_snapshot_changes_nothing(identity_db, version):
    apply(identity_db, handlers.apply_organisation_snapshot, {**ORGANISATION, "version": 3})

    assert apply(identity_db, handlers.apply_organisation_snapshot,
                 {**ORGANISATION, "version": version, "name": "Stale Name", "kind": "local_authority",
                  "email_domains": ["stale.example"], "ons_code": "E99", "la_code": "E99"}) is False

    organisation = stored(identity_db, Organisation, "prov-c")
    assert (organisation.version, organisation.name, organisation.kind, organisation.email_domains,
            organisation.ons_code, organisation.la_code) == (
        3, "Cedar Care", "care_provider", ["cedar-care.example"], None, "E08000016")


def test_a_newer_location_snapshot_replaces_the_old(identity_db):
    assert apply(identity_db, handlers.apply_location_snapshot, {**LOCATION, "version": 1}) is True

    assert apply(identity_db, handlers.apply_location_snapshot,
                 {**LOCATION, "version": 2, "name": "Cedar Court", "active": False})

    location = stored(identity_db, Location, "1-300")
    assert (location.version, location.name, location.active) == (2, "Cedar Court", False)


@pytest.mark.parametrize("version", [3, 1])  # equal, then older
def test_an_older_or_equal_location_snapshot_changes_nothing(identity_db, version):
    apply(identity_db, handlers.apply_location_snapshot, {**LOCATION, "version": 3})

    assert apply(identity_db, handlers.apply_location_snapshot,
                 {**LOCATION, "version": version, "organisation_id": "prov-z", "name": "Stale",
                  "postcode": "AA1 1AA", "la_code": "E99", "sub_icb_code": "99X", "active": False}) is False

    location = stored(identity_db, Location, "1-300")
    assert (location.version, location.organisation_id, location.name, location.postcode, location.la_code,
            location.sub_icb_code, location.active) == (
        3, "prov-c", "Cedar House", "S70 1CC", "E08000016", "02P", True)


def test_a_replayed_stale_location_does_not_reopen_registration(identity_db, reference):
    """Deactivated at version 2; a late copy of version 1 must not make it active again."""
    house = {**reference["locations"][0]}
    apply(identity_db, handlers.apply_location_snapshot, {**house, "version": 2, "active": False})
    apply(identity_db, handlers.apply_location_snapshot, {**house, "version": 1, "active": True})

    assert stored(identity_db, Location, "1-100").active is False
