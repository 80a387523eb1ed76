"""The base every event's data schema derives from."""
from __future__ import annotations

from marshmallow import Schema


class Data(Schema):
    """Base for event data: unknown fields are refused at both ends."""
