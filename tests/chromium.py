"""What the Chromium tests (Playwright) share: signing in, and the screenshots of
docs/screenshots taken when SCREENSHOTS is set."""

from __future__ import annotations

import os
from pathlib import Path

# --- Chromium pages (Playwright) ---------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def screenshot(page, name: str, full_page: bool = False) -> None:
    if os.environ.get("SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), animations="disabled", full_page=full_page)


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/*/")
