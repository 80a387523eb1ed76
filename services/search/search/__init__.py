"""The search service: a read model of vacancies, search by distance and filters, exports.

Not built yet (see the issue tracker): this package only reserves the name,
so nothing here runs or answers.
"""
