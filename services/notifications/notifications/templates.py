"""The emails the Capacity Tracker sends, as shipped: version 1 of each
template. Administrators can publish new wording (a new version); the
placeholders a template may use are the `fields` the system fills in.

Wording follows GOV.UK content style: plain English, short sentences, the
action first, no jargon, no "please do not reply" shouting.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultTemplate:
    id: str
    name: str
    description: str
    subject: str
    body: str
    fields: tuple[str, ...]
    secret_fields: tuple[str, ...] = ()


SIGN_OFF = "Capacity Tracker team"

DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        "application-to-review", "Application for access: to a reviewer",
        "Sent to the approvers, system champions or administrators an application was routed to.",
        "((applicant name)) has applied for access to the Capacity Tracker",
        """Hello ((name)),

((applicant name)) (((applicant email))) from ((organisation)) has applied for ((what)).

((flagged??Some details need checking before you approve it.))
((checks))

Review the application:
((review link))

Check that they work for ((organisation)) and that their email address is theirs before you approve it.

""" + SIGN_OFF,
        ("name", "applicant name", "applicant email", "organisation", "what", "flagged", "checks",
         "review link")),
    DefaultTemplate(
        "user-approved", "Application approved: login details",
        "Sent to a person whose registration was approved, with a one-time password.",
        "Your Capacity Tracker account is ready",
        """Hello ((name)),

Your application for the Capacity Tracker has been approved.

Sign in with:
* email address: ((email))
* one-time password: ((one-time password))

Sign in here:
((sign in link))

You will be asked to choose a new password the first time you sign in. The one-time password only works once.

If you did not apply for an account, tell us by replying to this email.

""" + SIGN_OFF,
        ("name", "email", "one-time password", "sign in link"), secret_fields=("one-time password",)),
    DefaultTemplate(
        "application-rejected", "Application not approved",
        "Sent to a person whose registration or request for more locations was rejected.",
        "Your Capacity Tracker application was not approved",
        """Hello ((name)),

Your ((what)) was not approved.

The reason given was:
((reason))

If you think this is wrong, speak to your manager or to the approver at your organisation, then apply again.

""" + SIGN_OFF,
        ("name", "what", "reason")),
    DefaultTemplate(
        "access-approved", "Access to more locations approved",
        "Sent when a request for access to more locations was approved.",
        "You can now update more locations on the Capacity Tracker",
        """Hello,

Your request for access to more locations has been approved. You can now see and update:
((locations))

Sign in here:
((sign in link))

""" + SIGN_OFF,
        ("locations", "sign in link")),
    DefaultTemplate(
        "password-reset", "Password reset: one-time password",
        "Sent when an approver or administrator resets a person's password.",
        "Your Capacity Tracker password has been reset",
        """Hello ((name)),

Your password for the Capacity Tracker has been reset.

Sign in with this one-time password: ((one-time password))

((sign in link))

You will be asked to choose a new password. If you did not expect this, tell your approver straight away.

""" + SIGN_OFF,
        ("name", "one-time password", "sign in link"), secret_fields=("one-time password",)),
    DefaultTemplate(
        "password-expiring", "Password expiring",
        "Sent 18, 10, 5, 2 and 1 days before a password expires (passwords last 90 days).",
        "Your Capacity Tracker password expires in ((days left))",
        """Hello ((name)),

Your Capacity Tracker password expires on ((expiry date)).

Change it before then to keep using your account:
((change password link))

After it expires you will need a new one-time password from your approver.

""" + SIGN_OFF,
        ("name", "days left", "expiry date", "change password link")),
    DefaultTemplate(
        "account-locked", "Account locked",
        "Sent when 5 wrong passwords in a row lock an account.",
        "Your Capacity Tracker account is locked",
        """Hello ((name)),

Your Capacity Tracker account has been locked because the wrong password was entered 5 times in a row.

It will unlock at ((locked until)). Your approver can also reset your password.

If this was not you, tell your approver: someone may be trying to get into your account.

""" + SIGN_OFF,
        ("name", "locked until")),
    DefaultTemplate(
        "mfa-reset", "Second factor reset",
        "Sent when an administrator removes a person's authenticator app from their account.",
        "Set up your authenticator app again for the Capacity Tracker",
        """Hello ((name)),

An administrator has removed the authenticator app from your Capacity Tracker account. Your recovery codes no longer work.

The next time you sign in, you will set up an authenticator app again:
((sign in link))

If you did not ask for this, tell your approver or the Capacity Tracker team now: someone may be trying to get into your account.

""" + SIGN_OFF,
        ("name", "sign in link")),
    DefaultTemplate(
        "password-reset-link", "Forgotten password: reset link",
        "Sent when someone asks for a link to reset a forgotten password. The link works once, for an hour.",
        "Reset your Capacity Tracker password",
        """Hello ((name)),

Someone asked to reset the password of your Capacity Tracker account. To choose a new password, use this link:
((reset link))

The link works once, until ((expires at)).

If you did not ask for this, you can ignore this email: your password has not changed.

""" + SIGN_OFF,
        ("name", "reset link", "expires at"), secret_fields=("reset link",)),
    DefaultTemplate(
        "password-reset-done", "Forgotten password: password changed",
        "Sent after a password was reset with a forgotten-password link.",
        "Your Capacity Tracker password has been changed",
        """Hello ((name)),

The password of your Capacity Tracker account was changed at ((reset at)), using a link sent to this email address. You have been signed out everywhere else.

If this was not you, tell your approver or the Capacity Tracker team now: someone may be able to read your email.

Sign in here:
((sign in link))

""" + SIGN_OFF,
        ("name", "reset at", "sign in link")),
    DefaultTemplate(
        "contract-approval-request", "Contract approval request",
        "Sent to the Local Authority or Sub-ICB a care provider says it has a contract with.",
        "((location)) says it has a contract with ((commissioner))",
        """Hello ((name)),

((location)) says it has a contract with ((commissioner)).

Approve or decline it:
((review link))

Until it is approved, the contract does not show in search results.

""" + SIGN_OFF,
        ("name", "location", "commissioner", "review link")),
    DefaultTemplate(
        "contract-decision", "Contract decision",
        "Sent to a location's users when a commissioner approves or declines its contract.",
        "Your contract with ((commissioner)) was ((decision))",
        """Hello ((name)),

((commissioner)) has ((decision)) the contract for ((location)).

((declined??The reason given was:))
((reason))

((approved??The contract now shows in search results.))

""" + SIGN_OFF,
        ("name", "location", "commissioner", "decision", "approved", "declined", "reason")),
    DefaultTemplate(
        "bulk-upload-result", "Bulk upload result",
        "Sent to the person who uploaded a bulk update spreadsheet when it has been processed.",
        "Your bulk update ((file name)): ((outcome))",
        """Hello ((name)),

We have processed ((file name)).

* locations updated: ((applied))
* rows refused: ((refused))

((had problems??Check the refused rows, correct them and upload the spreadsheet again.))
((reason))

See the full result:
((result link))

""" + SIGN_OFF,
        ("name", "file name", "outcome", "applied", "refused", "had problems", "reason", "result link")),
    DefaultTemplate(
        "capacity-reminder", "Capacity not updated",
        "Sent when a location's capacity has not been updated for 24 or 48 hours, unless reminders are "
        "switched off for it.",
        "Update your vacancies on the Capacity Tracker",
        """Hello ((name)),

These locations have not updated their capacity for more than ((hours)) hours:
((locations))

Hospital discharge teams and councils use these figures to find care today. Update them, even if nothing has changed:
((update link))

Update at least once every 24 hours, and whenever your vacancies change.

""" + SIGN_OFF,
        ("name", "hours", "locations", "update link")),
    DefaultTemplate(
        "monthly-refresh", "Monthly refresh",
        "Sent to every location's users at the start of the monthly collection window.",
        "Check your Capacity Tracker details for ((month))",
        """Hello ((name)),

The monthly collection for ((month)) is open until ((window ends)).

Check and update the details of:
((locations))

Sign in here:
((update link))

Everyone who provides adult social care in England must keep this up to date.

""" + SIGN_OFF,
        ("name", "month", "window ends", "locations", "update link")),
    DefaultTemplate(
        "manual-reminder", "Reminder sent from a report",
        "Sent when a council, ICB or administrator asks a location to update its capacity.",
        "Update the capacity of ((location)) on the Capacity Tracker",
        """Hello ((name)),

((requested by)) has asked you to update the capacity of ((location)) on the Capacity Tracker.

Hospital discharge teams and councils use these figures to find care today. Update them, even if nothing has changed:
((update link))

""" + SIGN_OFF,
        ("name", "requested by", "location", "update link")),
)

BY_ID = {t.id: t for t in DEFAULT_TEMPLATES}
