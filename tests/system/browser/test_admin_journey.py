"""An administrator on a phone (and a desktop), in a real browser against
the real system: signs in with the second factor, grants a council's person
a permission (only those a council may hold are offered), adds an API user
and creates a key that is shown once and works, publishes new Terms of Use,
finds the grant in the audit log; then the council's person is asked to
accept the new terms at their next sign-in. Every page passes axe and fits."""
from __future__ import annotations


import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.system

PASSWORD = "Heron-Valley-Beacon-27"



@pytest.fixture
def terms_restored(system):
    """The Terms of Use as they were: the journey's new version would stop
    every later test's sign-in until accepted."""
    before = system.identity_sql("SELECT coalesce(max(version), 0) FROM terms_versions")[0][0]
    yield
    engine = create_engine(system.database_template.format(service="identity"))
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE users SET accepted_terms_version = :before "
                                    "WHERE accepted_terms_version > :before"), {"before": before or None})
            connection.execute(text("DELETE FROM terms_versions WHERE version > :before"), {"before": before})
    finally:
        engine.dispose()


def test_an_administrator_grants_creates_a_key_and_publishes_terms(browser_page, check_page, web_sign_in, system,
                                                                  unique, width, terms_restored, shot):
    council = system.identity_sql("SELECT id, name FROM organisations WHERE kind = 'local_authority' "
                                  "ORDER BY id LIMIT 1")[0]
    email = f"sue.{unique()}@council.example"
    system.onboard(name="Sue Whitfield-Ramanathan", email=email, organisation_id=council[0], password=PASSWORD)

    page = browser_page(width)
    web_sign_in(page, system.env["ADMIN_EMAIL"], system.env["ADMIN_PASSWORD"])
    page.get_by_role("link", name="Administration").click()
    assert page.inner_text("h1") == "Administration"
    check_page(page)

    # a permission, offered only as a council may hold it
    page.goto(f"/users?organisation={council[0]}")
    card = page.locator(".govuk-summary-card", has_text=email)
    assert card.locator("input[type=checkbox]").evaluate_all("boxes => boxes.map(b => b.value)") == [
        "broker", "system_champion", "extended_reporting", "manage_alerts"]
    card.get_by_label("Broker").check()
    card.get_by_role("button", name="Save permissions").click()
    assert "permissions are saved" in page.inner_text(".govuk-notification-banner")
    check_page(page)
    shot(page, "permissions")

    # an API user and a key, shown once
    page.goto(f"/admin/api-users?organisation={council[0]}")
    system_name = f"Discharge dashboard {unique()}"
    page.fill("#name", system_name)
    page.fill("#email", f"dashboard.{unique()}@council.example")
    page.get_by_role("button", name="Add API user").click()
    check_page(page)
    api_user = page.locator(".govuk-summary-card", has_text=system_name)
    api_user.get_by_label("What the new key is for").fill("Nightly bed state report")
    api_user.get_by_role("button", name="Create a key").click()
    assert page.inner_text("h1") == "API key created", page.inner_text("main")
    assert "shown on this page only" in page.inner_text(".govuk-warning-text")
    key = page.input_value("#api-key")
    assert key.startswith("ctk_")
    check_page(page)
    shot(page, "api-key")
    assert system.api("GET", "/api/v1/me", token=key).status_code == 200  # the key works
    page.get_by_role("link", name="I have copied the key").click()
    assert key not in page.content()  # never shown again
    assert key.split("_")[1] in page.inner_text(f".govuk-summary-card:has-text('{system_name}')")
    shot(page, "api-users")

    # new Terms of Use
    page.goto("/admin/terms")
    check_page(page)
    page.fill("#text", f"Terms of Use {unique()}: keep your password to yourself and enter true figures.")
    page.get_by_label("I understand everyone must accept these terms at their next sign-in").check()
    page.get_by_role("button", name="Publish new Terms of Use").click()
    assert "everyone accepts them when they next sign in" in page.inner_text(".govuk-notification-banner")
    check_page(page)

    # the grant in the audit log
    page.goto("/admin/audit")
    page.fill("#about", email)
    page.select_option("#what", "permissions_changed")
    page.get_by_role("button", name="Show entries").click()
    rows = page.locator("#audit-entries tbody tr")
    assert rows.count() == 1 and "Broker" in rows.first.inner_text()
    check_page(page)
    shot(page, "audit")

    # the council's person is asked to accept the new terms when they next sign in
    person = browser_page(width)
    person.goto("/sign-in")
    person.fill("#email", email)
    person.fill("#password", PASSWORD)
    person.get_by_role("button", name="Sign in").click()
    assert "keep your password to yourself" in person.inner_text("#terms-text")
    check_page(person)
    person.fill("#password", PASSWORD)
    person.get_by_label("I accept these Terms of Use").check()
    person.get_by_role("button", name="Sign in").click()
    assert "/sign-in" not in person.url, person.inner_text("main")
    assert "broker" in system.api("GET", "/api/v1/me", token=system.login(email, PASSWORD)).json()["roles"]
