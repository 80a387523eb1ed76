"""Helpers for validating input with marshmallow schemas at every boundary."""
from __future__ import annotations

from marshmallow import Schema, ValidationError

from .contracts.errors import InvalidInput


def load(schema: Schema, payload) -> dict:
    """Validate `payload`, turning marshmallow's errors into `InvalidInput`
    naming each bad field."""
    if not isinstance(payload, dict):
        raise InvalidInput("the request body must be a JSON object")
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput(fields=exc.normalized_messages())
