"""A browser-based OAuth client in Chromium (issue 25): a page on another origin (another loopback
port, as the MCP Inspector's web UI runs) does what an MCP client in a web page does, with
fetch(): discovery, RFC 7591 registration, the user's consent at authorize.php (a navigation),
the code exchange with PKCE, and /uapi/@me, reading its WWW-Authenticate challenge first. Every
cross-origin answer is read by the page only because the portal sends CORS headers for it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps_registry.models import App

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


START = """<!doctype html><title>Browser MCP client</title><pre id="result">working</pre>
<script type="module">
const portal = new URL(location).searchParams.get('portal');
const show = (value) => { document.getElementById('result').textContent = JSON.stringify(value); };
try {
  const metadata = await (await fetch(`${portal}/.well-known/oauth-authorization-server`,
    { headers: { 'MCP-Protocol-Version': '2025-06-18' } })).json();
  const registered = await fetch(metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'MCP-Protocol-Version': '2025-06-18' },
    body: JSON.stringify({
      client_name: 'Browser MCP client', redirect_uris: [`${location.origin}/callback`],
      token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  const client = await registered.json();
  const random = crypto.getRandomValues(new Uint8Array(32));
  const verifier = Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const challenge = btoa(String.fromCharCode(...digest))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  sessionStorage.setItem('flow', JSON.stringify({ portal, metadata, client, verifier }));
  const authorize = new URL(metadata.authorization_endpoint);
  Object.entries({ response_type: 'code', client_id: client.client_id,
    redirect_uri: `${location.origin}/callback`, state: 'st', code_challenge: challenge,
    code_challenge_method: 'S256' })
    .forEach(([name, value]) => authorize.searchParams.set(name, value));
  show({ registered: registered.status, client_id: client.client_id, authorize: authorize.toString() });
  location.assign(authorize);
} catch (error) { show({ error: String(error) }); }
</script>"""

CALLBACK = """<!doctype html><title>Callback</title><pre id="result">working</pre>
<script type="module">
const show = (value) => { document.getElementById('result').textContent = JSON.stringify(value); };
try {
  const { portal, metadata, client, verifier } = JSON.parse(sessionStorage.getItem('flow'));
  const code = new URL(location).searchParams.get('code');
  const exchanged = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: client.client_id,
      redirect_uri: `${location.origin}/callback`, code_verifier: verifier }),
  });
  const tokens = await exchanged.json();
  const anonymous = await fetch(`${portal}/uapi/@me`);
  const me = await fetch(`${portal}/uapi/@me`,
    { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  show({ token_status: exchanged.status, challenge: anonymous.headers.get('WWW-Authenticate'),
    anonymous: anonymous.status, me: await me.json(), client_id: client.client_id });
} catch (error) { show({ error: String(error) }); }
</script>"""


@pytest.fixture
def client_origin():
    """The client's own web server: another loopback port, so another origin than the portal's."""
    pages = {"/start": START, "/callback": CALLBACK}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0], "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser_client(page, live_server, settings):
    settings.OAUTH_ISSUER = live_server.url
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "organization"
    return page


def result(page) -> dict:
    page.wait_for_function("document.getElementById('result').textContent !== 'working'")
    return json.loads(page.locator("#result").text_content())


def test_a_page_on_another_origin_registers_exchanges_its_code_and_calls_who_am_i(
    browser_client, live_server, demo, client_origin
):
    page = browser_client
    page.goto(f"{client_origin}/start?portal={live_server.url}")
    try:
        page.wait_for_url(f"{live_server.url}/oauth/authorize.php**")
    except Exception:
        raise AssertionError(page.content()) from None
    page.get_by_label("Username").fill("user")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{client_origin}/callback**")

    answer = result(page)

    assert "error" not in answer, answer
    assert answer["token_status"] == 200
    assert answer["me"]["username"] == "user"
    assert answer["anonymous"] == 401 and "resource_metadata=" in answer["challenge"]
    app = App.objects.get(client_id=answer["client_id"])
    assert app.is_public and app.redirect_uri == f"{client_origin}/callback"


def test_without_cors_the_page_could_not_have_read_it(browser_client, live_server, demo, client_origin):
    """The control: the same page's fetch() of a page the portal sends no CORS headers for
    (introspection) is blocked by the browser, so what the test above read was CORS's doing."""
    page = browser_client
    page.goto(f"{client_origin}/callback")
    blocked = page.evaluate(
        "async (portal) => { try { await fetch(`${portal}/oauth/introspect`, {method: 'POST'});"
        " return false; } catch (error) { return true; } }",
        live_server.url,
    )
    assert blocked
