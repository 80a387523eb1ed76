"""The web pages in a real browser: Debian's Chromium driven by Playwright,
on the running system of tests/system (its services, a gateway of its own).

- `browser_page(width)` -> a fresh Playwright page (its own cookies) of the
  given width, on the system's web address; console errors and pages the
  browser refused (CSP) fail the test that opened it;
- `web_sign_in(page, email, password)` signs in through the sign-in page,
  giving the authenticator app's code when asked (and setting the app up
  from the typed key on a first sign-in);
- `check_page(page)` runs axe-core (WCAG 2.2 AA rules: no serious or
  critical violation) and checks that nothing scrolls sideways.

The pages are served by a second gateway process whose PUBLIC_URL is its own
plain-http address, so that the browser's forms pass the same-origin check
and its session cookie is not Secure-only; everything behind it is shared
with the other system tests.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tracker_common.testing import free_port, wait_until

HERE = Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                  "--no-first-run", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-default-apps", "--mute-audio"]
WIDTHS = (390, 1280)
# axe's rule tags for what GOV.UK services must meet
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def web_base(system) -> str:
    """A gateway serving the pages at its own http address."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    system.group.start("gateway-web", [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py",
                                       "gateway.wsgi:app"],
                       GATEWAY_BIND=f"127.0.0.1:{port}", PUBLIC_URL=base,
                       PROMETHEUS_MULTIPROC_DIR=str(system.tmp / "prometheus-gateway-web"))
    import requests

    def healthy():
        try:
            return requests.get(f"{base}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False
    wait_until(healthy, timeout=60, interval=0.3, message=f"the web gateway (log in {system.tmp})")
    yield base
    system.group.stop("gateway-web")


@pytest.fixture(scope="session")
def chromium():
    """Playwright's Chromium: Debian's, never a download (`make test`
    installs it; a missing browser fails here, never skipped in silence)."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: the web pages cannot be proven in a browser. "
                    "Install it (`make browser`, or apt-get install chromium) or set CHROMIUM_PATH.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()
    # playwright.stop() never returns under eventlet's monkey-patching (which
    # the nameko tests need): the driver ends with this process instead.


@pytest.fixture
def browser_page(chromium, web_base):
    """browser_page(width) -> a page of its own (own cookies) that fails the
    test on a console error or a resource the browser refused."""
    contexts, problems = [], []

    def open_page(width: int = 390, height: int = 900):
        context = chromium.new_context(viewport={"width": width, "height": height}, base_url=web_base,
                                       locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(30_000)  # a busy two-core machine runs a whole system besides
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: problems.append(
            f"{page.url}: console {message.type}: {message.text} ({message.location.get('url')})")
            if message.type == "error" and not _tolerated(message.text) and "Failed to load resource" not in
            message.text else None)
        page.on("response", lambda response: problems.append(
            f"{page.url}: {response.request.resource_type} {response.url} answered {response.status}")
            if response.status >= 400 and response.request.resource_type != "document" else None)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


def _tolerated(text: str) -> bool:
    """Map tiles from the internet cannot load on a closed test network."""
    return "net::ERR_" in text and "tile" in text.lower()


@pytest.fixture
def web_sign_in(system):
    def sign_in(page, email: str, password: str, next_path: str = "") -> None:
        page.goto("/sign-in" + (f"?next={next_path}" if next_path else ""))
        page.fill("#email", email)
        page.fill("#password", password)
        page.get_by_role("button", name="Sign in").click()
        if "/sign-in/set-up-mfa" in page.url:
            system.mfa_secrets[email.lower()] = page.inner_text("#key").replace(" ", "")
        if "/sign-in/set-up-mfa" in page.url or "/sign-in/code" in page.url:
            page.fill("#code", system.mfa_code(email))
            page.get_by_role("button", name="Continue").click()
        if page.get_by_text("I have saved my codes: continue").count():
            page.get_by_text("I have saved my codes: continue").click()
        assert "/sign-in" not in page.url, page.inner_text("main")
    return sign_in


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE.read_text()


@pytest.fixture
def check_page(axe_source):
    """Accessibility (axe-core, WCAG 2.2 AA: no serious or critical
    violation) and no sideways scrolling, on the page as it is now."""
    def check(page) -> None:
        page.evaluate(axe_source)  # through the DevTools protocol: the pages' CSP does not apply
        found = page.evaluate("options => axe.run(document, options)", {
            "runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
        serious = [v for v in found["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, f"{page.url}: accessibility violations:\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in serious)
        overflow = page.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')].filter(e => {
                const box = e.getBoundingClientRect();
                return box.width > 0 && box.right > width + 1 && getComputedStyle(e).position !== 'fixed';
            }).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                                   + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''));
            return {scroll: document.documentElement.scrollWidth, width, wide};
        }""")
        assert overflow["scroll"] <= overflow["width"], (
            f"{page.url} scrolls sideways at {overflow['width']} px (content {overflow['scroll']} px wide): "
            f"{overflow['wide']}")
    return check


@pytest.fixture
def shot(request):
    """shot(page, name): a full-page screenshot in SCREENSHOT_DIR, when it
    is set, to look at the pages as their users will."""
    folder = os.environ.get("SCREENSHOT_DIR")
    journey = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{folder}/{journey}-{page.viewport_size['width']}-{name}.png", full_page=True)
    return take


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def width(request) -> int:
    """Run a journey at a phone's width and a desktop's."""
    return request.param
