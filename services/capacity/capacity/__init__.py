"""The capacity service: capacity returns, their rules and history, bulk spreadsheet updates.

Not built yet (see the issue tracker): this package only reserves the name,
so nothing here runs or answers.
"""
