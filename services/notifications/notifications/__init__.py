"""The notifications service: GOV.UK Notify-style templated email.

Templates with versions (`templates`, `personalisation`), `send_email` with
a reference and a delivery status (`handlers.sending`, `handlers.dispatch`),
delivery by SMTP or GOV.UK Notify (`delivery`), every email other services'
events ask for (`handlers.events`), reminders (`handlers.reminders`), what
it knows of locations (`handlers.readmodel`), every query (`repository`),
and a mail catcher for developers (`mailcatcher`).
"""
