"""The providers service: locations, providers, geography and postcodes, CQC import, profiles, contracts.

Not built yet (see the issue tracker): this package only reserves the name,
so nothing here runs or answers.
"""
