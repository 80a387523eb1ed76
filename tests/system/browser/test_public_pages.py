"""The pages anyone can open, in a real browser: sign-in, registration,
forgotten password and the public bed state."""
import pytest


@pytest.mark.parametrize("path, heading", [
    ("/sign-in", "Sign in"),
    ("/register", "Apply for an account"),
    ("/forgotten-password", "Reset your password"),
    ("/bed-state", "Bed state"),
])
def test_public_pages_are_accessible_and_fit(browser_page, check_page, width, path, heading):
    page = browser_page(width)
    page.goto(path)
    assert heading.lower() in page.inner_text("h1").lower()
    check_page(page)


def test_a_person_signs_in_and_out(browser_page, check_page, web_sign_in, system, width):
    """The administrator signs in with the second factor and lands on a page of their job."""
    page = browser_page(width)
    web_sign_in(page, system.env["ADMIN_EMAIL"], system.env["ADMIN_PASSWORD"])
    assert page.get_by_role("button", name="Sign out").count() == 1
    check_page(page)
    page.get_by_role("button", name="Sign out").click()
    assert "/sign-in" in page.url


def test_the_checks_find_what_they_look_for(browser_page, check_page):
    """A page with an unlabelled field and a box wider than a phone fails both checks."""
    page = browser_page(390)
    page.set_content('<html lang="en"><title>t</title><main><h1>t</h1><input type="text"></main></html>')
    with pytest.raises(AssertionError, match="label"):
        check_page(page)
    page.set_content('<html lang="en"><title>t</title><main><h1>t</h1><div id="wide">x</div></main></html>')
    page.evaluate("document.getElementById('wide').style.width = '600px'")
    with pytest.raises(AssertionError, match="scrolls sideways"):
        check_page(page)
