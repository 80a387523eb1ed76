"""Rebuilding a read model from the owning services' snapshot RPCs, page by
page: the pieces every read model's rebuild shares."""
from __future__ import annotations

from typing import Callable, Iterator

from marshmallow import ValidationError

from .contracts.events import schema_of
from .logs import get_logger

log = get_logger(__name__)
# fetch(service, method, after) -> one page: {"snapshots" (or other rows)..., "next"}
Fetch = Callable[[str, str, str], dict]


def pages(fetch: Fetch, service: str, method: str) -> Iterator[dict]:
    """Every page of a snapshot RPC, following `next` until it is empty."""
    after = ""
    while True:
        page = fetch(service, method, after)
        yield page
        after = page.get("next")
        if not after:
            return


def valid_snapshots(snapshots: list[dict], event_type: str) -> list[dict]:
    """The snapshots that match their event's contract (the others are
    logged and skipped: one bad snapshot must not stop a rebuild)."""
    schema, valid = schema_of(event_type), []
    for snapshot in snapshots:
        try:
            schema.load(snapshot)
        except ValidationError as exc:
            log.error("snapshot refused", event_type=event_type, errors=exc.messages,
                      key=snapshot.get("location_id") if isinstance(snapshot, dict) else None)
            continue
        valid.append(snapshot)
    return valid
