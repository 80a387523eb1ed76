"""Bodies of the identity API: validated by the gateway on the way in and by
the identity service again on receipt, by the same classes. By topic:
`sign_in` (passwords, the second factor, tokens, API keys checked),
`accounts` (applications, people, permissions, API users, Terms of Use),
`audit` (the audits and the last login report), `contacts` (whom to
email), and `values` (the fields they are made of); every name is
importable from here."""
from __future__ import annotations

from .accounts import (AccessRequest, ApiKeyOut, ApiKeyRequest, ApiKeys, ApiUserRequest, ApplicationOut,
                       Applications, DecisionRequest, GrantRequest, PlaceQuery, RegistrationRequest, TermsOut,
                       TermsRequest, UserOut, Users)
from .audit import AuditEntries, AuditOut, AuditQuery, LastLogin, LastLoginPage, LastLoginQuery
from .contacts import Contact, ContactList, ContactsQuery
from .sign_in import (API_KEY_PREFIX, RESET_LINK_SENT, ApiKeyCheck, ClientInfo, MfaCodeRequest, MfaEnrolmentOut,
                      MfaStatusOut, MfaTokenRequest, PasswordChangeRequest, PasswordResetLinkRequest,
                      PasswordResetLinkSent, PasswordResetOut, PasswordResetRequest, RecoveryCodesOut,
                      RecoveryCodesRequest, TokenRenewal, TokenRequest, TokenResponse)
from .values import (ACCESS_ACTIONS, AUDIT_KINDS, CONTACT_MODES, LEVELS, MAX_CONTACT_IDS, ONS_CODE,
                     ORGANISATION_ID, PERSON_NAME, ROUTES, SIGN_IN_OUTCOMES, Email, Identifier, MfaCode, MfaToken,
                     Name, Password)

__all__ = [name for name in dir() if not name.startswith("_") and name != "annotations"]
