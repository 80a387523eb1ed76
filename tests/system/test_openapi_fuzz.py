"""Schemathesis over the gateway's own OpenAPI document, with every one of
its checks: no 5xx, every status, content type, header and body as
documented, requests valid by the document accepted and invalid ones
refused, unsupported methods answered 405 with Allow, secured operations
refusing a missing token.

Every secured operation is fuzzed as an administrator and as a care home
user; the public ones (sign-in, registration, the bed state...) without a
token, so that the fuzz does not lock its own accounts through
/auth/token with an address it learned from /me. The fuzz writes (it
publishes terms, deactivates the people and locations it finds): it runs
after every other test of the session (see conftest), as its own
administrator and a care home user of a home of its own.

A bounded, deterministic run: the same cases every time."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

HERE = Path(__file__).resolve().parent
MAX_EXAMPLES = 5
SECURED = '/security == [{"bearerAuth": []}]'
# A valid request may still be refused because of the state it meets: 423
# while an account is locked, like the 401/403/404/409 schemathesis expects.
# An invalid one may be refused for its size before it is read: 413, 414.
VALID = ["2xx", "3xx", "401", "403", "404", "409", "423", "429", "5xx"]
INVALID = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "5xx"]
# Operations whose well-formed requests may also be refused with 422 for a
# rule OpenAPI 3.0 cannot state (their 422 says so): facts held by a
# service, or relations between query parameters. Everywhere else, a request
# valid by the document is accepted.
RULES_BEYOND_THE_DOCUMENT = {
    "GET /api/v1/reports/utilisation": "rows and columns by different dimensions; a range of months",
    "GET /api/v1/reports/bed-state": "one Local Authority or one Sub-ICB",
    "GET /api/v1/search/vacancies": "a postcode, a Local Authority or a Sub-ICB; a radius needs a postcode",
    "GET /api/v1/search/vacancies/export": "as the search",
    "POST /api/v1/registrations": "the organisation (and location) must exist",
    "POST /api/v1/api-users": "the organisation must exist",
    "POST /api/v1/me/location-access": "the locations must exist",
    "PUT /api/v1/users/{user_id}/permissions": "which organisations may hold each permission",
    "POST /api/v1/locations/{location_id}/capacity-returns": "the vacancy types and beds the location has",
    "POST /api/v1/locations/{location_id}/capacity-returns/still-true": "a current return that still fits the location",
    "POST /api/v1/locations/{location_id}/workforce-returns": "absences and visa holders within the staff employed",
    "POST /api/v1/locations/{location_id}/home-care-returns": "only home care services send it",
    "POST /api/v1/locations/{location_id}/contracts": "the commissioner must exist",
    "POST /api/v1/capacity/bulk-uploads": "the file must be the template, as an .xlsx",
    "POST /api/v1/notifications/reminders": "locations the sender may remind",
    "PUT /api/v1/notifications/templates/{template_id}": "only the template's own placeholders",
    "POST /api/v1/auth/password-reset": "a link that is still live",
    "GET /api/v1/audit": "`until` later than `since`",
    "GET /api/v1/users/{user_id}/audit": "`until` later than `since`",
}


def checks_config(signed_in: bool) -> str:
    quoted = lambda statuses: ", ".join(f'"{s}"' for s in statuses)  # noqa: E731
    # The token as the document's bearer scheme (not a header on every
    # request), so that the checks of what happens without it can leave it out.
    text = '[auth.openapi.bearerAuth]\nbearer = "${FUZZ_TOKEN}"\n\n' if signed_in else ""
    text += (f"[checks.positive_data_acceptance]\nexpected-statuses = [{quoted(VALID)}]\n\n"
            f"[checks.negative_data_rejection]\nexpected-statuses = [{quoted(INVALID)}]\n")
    for name in RULES_BEYOND_THE_DOCUMENT:
        text += (f'\n[[operations]]\ninclude-name = "{name}"\n'
                 f"checks.positive_data_acceptance.expected-statuses = [{quoted(VALID + ['422'])}]\n")
    return text


class Fuzz:
    def __init__(self, system, tmp: Path):
        self.system, self.tmp = system, tmp

    def run(self, name: str, *selection: str, token: str | None = None, env: dict | None = None) -> dict:
        """One schemathesis run over the operations `selection` picks: its JSON report."""
        report, config = self.tmp / f"{name}.json", self.tmp / f"{name}.toml"
        config.write_text(checks_config(signed_in=token is not None))
        command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
                   f"{self.system.base}/api/v1/openapi.json", "--checks", "all", *selection,
                   "--max-examples", str(MAX_EXAMPLES), "--generation-deterministic", "--no-shrink",
                   # long texts under a pattern are slow to draw: that is no fault of the API
                   "--suppress-health-check", "too_slow",
                   # one worker: hypothesis's threads trip over Python 3.11's ast ("recursion depth mismatch")
                   "--workers", "1", "--request-timeout", "30", "--no-color", "--output-truncate", "false",
                   "--report", "json", "--report-json-path", str(report)]
        started = time.monotonic()
        environment = {**os.environ, "SCHEMATHESIS_HOOKS": str(HERE / "fuzz_hooks.py"), "FUZZ_TOKEN": token or "",
                       **(env or {})}
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=self.tmp, env=environment)
        (self.tmp / f"{name}.txt").write_text(done.stdout + done.stderr)
        assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
        result = json.loads(report.read_text())
        result["seconds"] = round(time.monotonic() - started, 1)
        result["output"] = done.stdout
        return result


def summary(result: dict) -> str:
    failures = ", ".join(f"{f['code']} {f['title']}: {f['count']}" for f in result["failures"]) or "none"
    return (f"{result['operations']['tested']} operations, {result['test_cases']['generated']} cases, "
            f"{result['seconds']} s; failures: {failures}; errors: {len(result['errors'])}")


def assert_clean(result: dict) -> None:
    print(summary(result))
    assert result["operations"]["tested"] > 0
    assert not result["failures"] and not result["errors"], summary(result) + "\n" + result["output"][-20000:]


@pytest.fixture(scope="module")
def people(system):
    """The fuzz's own administrator, a care home user of a home nobody else
    uses, and a stand-in the administrator's requests about itself go to."""
    stamp = str(int(time.time() * 1000))
    admin = (f"fuzz.admin.{stamp}@tracker.example", "Quarry-Falcon-Meadow-93")
    done = subprocess.run([sys.executable, "-m", "identity.manage", "create-admin"], cwd=HERE.parents[1],
                          capture_output=True, text=True, env={
                              **system.env, "ADMIN_EMAIL": admin[0], "ADMIN_PASSWORD": admin[1],
                              "ADMIN_NAME": "Fuzz Admin"})
    assert done.returncode == 0, done.stdout + done.stderr
    admin_token = system.login(*admin)  # each administrator's sign-in costs an authenticator code
    home = system.home_without_a_return(admin_token)
    carer = (f"fern.{stamp}@care.example", "Heron-Valley-Beacon-27")
    system.onboard(name="Fern Fuzz", email=carer[0], organisation_id=home["provider_id"], location_id=home["id"])
    system.onboard(name="Sam Standin", email=f"sam.{stamp}@care.example", organisation_id=home["provider_id"],
                   location_id=home["id"])
    own = [system.api("GET", "/api/v1/me", token=token).json()["id"]
           for token in (admin_token, system.login(*carer))]
    stand_in = system.identity_sql("SELECT id FROM users WHERE email = :e", e=f"sam.{stamp}@care.example")[0][0]
    return {"admin": admin, "carer": carer, "home": home,
            "env": {"FUZZ_OWN_USER_IDS": ",".join(own), "FUZZ_STAND_IN_USER_ID": stand_in}}


@pytest.fixture(scope="module")
def fuzz(system, tmp_path_factory):
    return Fuzz(system, tmp_path_factory.mktemp("fuzz"))


def test_a_return_history_from_a_distant_past_in_any_offset_is_answered(system, people):
    # Found by the fuzz: PostgreSQL refuses offsets beyond 15:59 that RFC 3339 allows (a 500)
    token = system.login(*people["carer"])
    for since in ("0243-05-17T10:00:00-21:06", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"):
        answer = system.api("GET", f"/api/v1/locations/{people['home']['id']}/capacity-returns", token=token,
                            params={"since": since})
        assert answer.status_code == 200, (since, answer.text)


# In this order: the care home user's run before the administrator's, who
# may deactivate the people and homes it finds (or publish terms). Each
# signs in just before its run: a token lives 15 minutes.
def test_public_operations_keep_to_the_document(fuzz):
    assert_clean(fuzz.run("public", "--exclude-by", SECURED))


def test_a_care_home_user_meets_only_what_the_document_says(system, fuzz, people):
    token = system.login(*people["carer"])
    assert_clean(fuzz.run("care-home-user", "--include-by", SECURED, token=token, env=people["env"]))


def test_an_administrator_meets_only_what_the_document_says(system, fuzz, people):
    token = system.login(*people["admin"])
    assert_clean(fuzz.run("administrator", "--include-by", SECURED, token=token, env=people["env"]))
