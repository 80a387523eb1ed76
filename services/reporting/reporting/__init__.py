"""The reporting service: a read model of capacity over time, utilisation reports, exports.

Not built yet (see the issue tracker): this package only reserves the name,
so nothing here runs or answers.
"""
