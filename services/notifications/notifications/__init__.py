"""The notifications service: GOV.UK Notify-style templated email.

Being built (see the issue tracker): so far the personalisation rules of
templates (`personalisation`); no process runs yet.
"""
