"""Every query of the providers service, as functions named for what they
do: handlers, the importers, the demo and the operator commands call these
and never build or run SQL themselves.

    locations      locations, providers, notes, contacts, the audit trail, contracts
    geography      England's geography and the postcode directory (by the ORM)
    postcode_swap  the postcode directory's import on a raw connection (staging, swap, outbox)
    cqc_import     the CQC import's set-based reads and writes, a batch of locations at a time
"""
from __future__ import annotations

from . import postcode_swap
from .cqc_import import (active_location_ids, approved_contracts_by_location, insert_changes, insert_locations,
                         insert_providers, live_notes_by_location, location_hashes, locations_by_id,
                         provider_rows, update_providers)
from .geography import (add_import_run, all_commissioner_names, all_outcodes, district_alignment, geography_names,
                        latest_applied_import, local_authorities, outcode, postcode, postcodes_by_code,
                        postcodes_page, sub_icb_codes, upsert_geography)
from .locations import (active_care_homes, add_change, add_contact, add_contract, add_note, approved_contracts,
                        commissioner_name, commissioner_names, contact, contacts_of, contract, contracts_of, delete_contact, flush,
                        live_notes, location, location_changes, location_names, locations_after, locations_page,
                        mark_cqc_refreshed, note, open_contract, provider, providers_by_id, requested_contracts)

__all__ = [
    "postcode_swap", "add_import_run", "all_commissioner_names", "all_outcodes", "district_alignment",
    "geography_names", "latest_applied_import", "local_authorities", "outcode", "postcode", "postcodes_by_code",
    "postcodes_page", "sub_icb_codes", "upsert_geography", "active_care_homes", "add_change", "add_contact",
    "add_contract", "add_note", "approved_contracts", "commissioner_name", "commissioner_names", "contact", "contacts_of", "contract",
    "contracts_of", "delete_contact", "flush", "live_notes", "location", "location_changes", "location_names",
    "locations_after", "locations_page", "mark_cqc_refreshed", "note", "open_contract", "provider",
    "providers_by_id", "requested_contracts", "active_location_ids", "approved_contracts_by_location",
    "insert_changes", "insert_locations", "insert_providers", "live_notes_by_location", "location_hashes",
    "locations_by_id", "provider_rows", "update_providers",
]
