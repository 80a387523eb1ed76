"""Identity: users, registration and approvals, roles and permissions, login,
lockout, password policy and expiry, terms of use, generic accounts, API keys
and the audit of access. Issues signed access tokens."""
