"""Identity's own dependency: the settings and keys its use cases need."""
from __future__ import annotations

from eventlet import tpool
from nameko.extensions import DependencyProvider

from tracker_common.config import env_int, load_settings
from tracker_common.keys import message_sealer, mfa_key, signing_key, verification_key
from tracker_common.revocation import RevocationList

from .handlers import IdentityDeps
from .passwords import PasswordPolicy, offload_hashing
from .second_factor import MfaKeys, MfaPolicy


def identity_deps_from_environment() -> IdentityDeps:
    lifetime = env_int("ACCESS_TOKEN_SECONDS", 900)
    return IdentityDeps(
        policy=PasswordPolicy.from_environment(),
        signing_key=signing_key(),
        sealer=message_sealer(),
        revocations=RevocationList.from_url(load_settings().redis_url, lifetime),
        token_lifetime_seconds=lifetime,
        verification_key=verification_key(),
        reset_link_minutes=env_int("PASSWORD_RESET_LINK_MINUTES", 60),
        sign_in_audit_days=env_int("SIGN_IN_AUDIT_DAYS", 400),
        mfa_policy=MfaPolicy.from_environment(),
        mfa_keys=MfaKeys.from_key(mfa_key()),
    )


class IdentitySettings(DependencyProvider):
    def setup(self):
        self.deps = identity_deps_from_environment()
        offload_hashing(tpool.execute)

    def get_dependency(self, worker_ctx):
        return self.deps
