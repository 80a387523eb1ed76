"""The notifications service: GOV.UK Notify-style email: templates, statuses, delivery, reminders.

Not built yet (see the issue tracker): this package only reserves the name,
so nothing here runs or answers.
"""
