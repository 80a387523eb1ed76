"""Schemathesis hooks for the fuzz of the API (loaded by its run through
SCHEMATHESIS_HOOKS, not by pytest).

The fuzz learns identifiers from the answers it gets (GET /me gives its own
user id) and then calls every operation with them: as an administrator it
would reset its own password or deactivate itself, and every later request
would be refused with 401. Requests about the fuzz's own accounts are
pointed at a stand-in account instead, so they still reach a real user.
And it would send one Idempotency-Key with many bodies, which no client may."""
from __future__ import annotations

import os
import re
import uuid

import schemathesis

OWN = set(filter(None, os.environ.get("FUZZ_OWN_USER_IDS", "").split(",")))
STAND_IN = os.environ.get("FUZZ_STAND_IN_USER_ID", "")
VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    parameters = case.path_parameters or {}
    if STAND_IN and parameters.get("user_id") in OWN:
        parameters["user_id"] = STAND_IN
    # A client makes a new Idempotency-Key for each new request (the same key
    # with another body is rightly refused, 422): a well-formed key drawn for
    # a request is made unique; a malformed one is kept, to be refused.
    headers = case.headers or {}
    if VALID_KEY.match(headers.get("Idempotency-Key") or ""):
        headers["Idempotency-Key"] = uuid.uuid4().hex
