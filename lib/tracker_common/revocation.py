"""Access-token revocation, honoured at once without calling identity.

Identity records "tokens of this user issued before T are void" in Redis
whenever access is withdrawn (deactivation, password change or reset,
permission change); the gateway checks it on every request. Entries expire
with the longest-lived token, after which no token issued before T survives
anyway.
"""
from __future__ import annotations

import redis


class RevocationList:
    def __init__(self, client: redis.Redis, token_lifetime_seconds: int):
        self.client = client
        self.ttl = token_lifetime_seconds + 60

    @classmethod
    def from_url(cls, url: str, token_lifetime_seconds: int) -> "RevocationList":
        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2),
                   token_lifetime_seconds)

    @staticmethod
    def _key(user_id: str) -> str:
        return f"tracker:tokens-void-before:{user_id}"

    def revoke_user_tokens(self, user_id: str, before_ms: int) -> None:
        self.client.set(self._key(user_id), before_ms, ex=self.ttl)

    def is_revoked(self, user_id: str, issued_at_ms: int) -> bool:
        """Raises redis errors: callers must fail closed."""
        value = self.client.get(self._key(user_id))
        return value is not None and issued_at_ms < int(value)
