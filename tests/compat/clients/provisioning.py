"""The token request of 4psa/mcp-voipnow's Python provisioning server, with `requests`:
a form body with type=unifiedapi and a redirect_uri, verify on, raise_for_status, then
expires_in and access_token read from the answer. Written for this suite from what that
client is documented and observed to send; no client code is copied.

    python provisioning.py

Environment: PORTAL_URL, APP_KEY, APP_SECRET, ME_PATH (/uapi/@me by default),
REQUESTS_CA_BUNDLE (the CA the portal's certificate comes from; `requests` reads it).
Prints one JSON object: what was sent and what came back.
"""

import json
import os
import sys
import time

import requests


def answer(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    return {
        "status": response.status_code,
        "content_type": response.headers.get("Content-Type", ""),
        "raw": response.text,
        "json": body,
    }


def main() -> int:
    base = os.environ["PORTAL_URL"]
    data = {
        "client_id": os.environ["APP_KEY"],
        "client_secret": os.environ["APP_SECRET"],
        "grant_type": "client_credentials",
        "type": "unifiedapi",
        "redirect_uri": f"{base}/oauth/token.php",
    }
    result: dict = {"requests": requests.__version__}
    response = requests.post(
        f"{base}/oauth/token.php",
        data=data,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "VoipNow Provisioning MCP (compatibility suite)",
        },
        timeout=30,
    )
    result["token"] = answer(response)
    try:
        response.raise_for_status()
    except requests.HTTPError as error:
        result["raised"] = str(error)
        print(json.dumps(result))
        return 0
    now = int(time.time())
    body = response.json()
    result["stored"] = f"{now}:{now + body['expires_in']}:<token>"
    me = requests.get(
        f"{base}{os.environ.get('ME_PATH', '/uapi/@me')}",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=30,
    )
    result["me"] = answer(me)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
