"""Providers: locations and their providers (brands), geography (NHS regions,
ICBs, Sub-ICB locations, Local Authorities) and the postcode directory, the
CQC import, location profiles, services, notes, contacts and contracts."""
