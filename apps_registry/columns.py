"""The App changelist's columns, each declared once (as the admin's `list_display` declares
one): its heading, what it sorts by, which App values or count it reads, the cell it renders,
and from which width on it shows. Everything else is derived from COLUMNS: the headings
(views/changelist.py), the `o` parameter's choices and the query's values and counts
(selectors/changelist.py), the rows (templatetags/app_list.py, strings for speed), and the
hiding at narrower widths, which is Bootstrap's display utilities on the heading and the cells
(`shows_from`), so portal.css holds no list of columns.

The row fits a laptop (1024 px and up, side menu shown) without sideways scrolling: the key
goes under the name and the Trusted and Enabled columns show only from 1400 px (KEY_SHOWS_FROM,
STATE_SHOWS_FROM); below that the name carries the state as words ("Disabled", "Trusted"),
never by colour or by a hidden column alone.

Adding a column is one Column here (plus, for a new count, its counter in
selectors/changelist.py's COUNTERS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from html import escape

# Every text in a cell goes through html.escape (what Django's escape does, without its
# lazy-string checks, which were most of the rows' time: make bench, P4).
IMAGE_HTML = '<img class="app-image" src="{}" alt="" loading="lazy" referrerpolicy="no-referrer">'
NO_IMAGE_HTML = '<span class="app-image-placeholder" aria-hidden="true"></span>'
DESCRIPTION_LENGTH = 80
DISABLED_HTML = '<span class="badge text-bg-warning">No</span>'
PUBLIC_HTML = ' <span class="badge text-bg-info">Public client</span>'
# The state by the name, in words, where the Trusted and Enabled columns are hidden.
STATE_BADGE_HTML = ' <span class="badge {colour} {hidden}">{label}</span>'
NEVER_HTML = '<span class="text-body-secondary">Never</span>'


@dataclass(frozen=True)
class Rows:
    """What every row of a page shares: the App's page URL of a pk, and the time zone."""

    edit_url: Callable[[int], str]
    zone: tzinfo


@dataclass(frozen=True)
class Column:
    """One column of the changelist."""

    key: str  # the `o` value that sorts by it, and its CSS class `col-{key}`
    label: str  # its heading
    cell: Callable[[dict, Rows], str]  # the cell's HTML, from the row's values (escaped)
    values: tuple[str, ...] = ()  # the App's values the cell reads (the query's .values())
    count: str | None = None  # a count the cell reads, counted for the page's Apps only
    order_by: str | None = None  # the value or count it sorts by; None: not sortable
    shows_from: str | None = None  # the Bootstrap breakpoint it shows from (hidden below it)
    numeric: bool = False  # right-aligned
    cell_class: str = ""  # the cells' other classes
    label_hidden: bool = False  # a heading for screen readers only

    @property
    def classes(self) -> str:
        """The heading's classes: its own, its alignment and the width it shows from."""
        return self._classes()

    @property
    def cell_classes(self) -> str:
        """The cells' classes: the heading's, with the cells' own."""
        return self._classes(self.cell_class)

    def _classes(self, extra: str = "") -> str:
        shown = f"d-none d-{self.shows_from}-table-cell" if self.shows_from else ""
        parts = (f"col-{self.key}", extra, "text-end" if self.numeric else "", shown)
        return " ".join(part for part in parts if part)


def _image(app: dict, rows: Rows) -> str:
    image = app["image_uri"]
    return IMAGE_HTML.format(escape(image)) if image.startswith("https://") else NO_IMAGE_HTML


# Below this width the key column is hidden and the key shows under the name instead; below
# STATE_SHOWS_FROM the Trusted and Enabled columns are hidden and badges by the name say it.
KEY_SHOWS_FROM = "xxl"
STATE_SHOWS_FROM = "xxl"
DISABLED_BADGE = STATE_BADGE_HTML.format(
    colour="text-bg-warning", hidden=f"d-{STATE_SHOWS_FROM}-none", label="Disabled"
)
TRUSTED_BADGE = STATE_BADGE_HTML.format(
    colour="text-bg-secondary", hidden=f"d-{STATE_SHOWS_FROM}-none", label="Trusted"
)


KEY_UNDER_NAME = f"d-{KEY_SHOWS_FROM}-none"


# The name cell and the <time> are f-strings, not str.format templates: a format with named
# fields took 2-3 us a row, an f-string 0.5 (the App list's rows, make bench's P4).
def _name(app: dict, rows: Rows) -> str:
    description = app["description"]
    if description:
        description = " ".join(description.split())
        if len(description) > DESCRIPTION_LENGTH:
            description = description[: DESCRIPTION_LENGTH - 1].rstrip() + "…"
        description = f'<div class="small text-body-secondary app-description">{escape(description)}</div>'
    edit_url = escape(rows.edit_url(app["pk"]))
    state = ("" if app["enabled"] else DISABLED_BADGE) + (TRUSTED_BADGE if app["trusted"] else "")
    public = PUBLIC_HTML if app["client_type"] == "public" else ""
    return (
        f'<a href="{edit_url}" id="app-{int(app["pk"])}" hx-get="{edit_url}" hx-target="#modal-content" '
        f'hx-swap="innerHTML" hx-push-url="false">{escape(app["name"])}</a>{state}{public}{description}'
        f'<div class="font-monospace small key key-under-name {KEY_UNDER_NAME}">'
        f"{escape(app['client_id'])}</div>"
    )


def _time(value, rows: Rows) -> str:
    """A <time> of `value` in the page's time zone, shown to the minute: "2026-12-04 18:02",
    cut from the ISO 8601 text it carries (strftime took twice as long: make bench, P4)."""
    iso = value.astimezone(rows.zone).isoformat()
    return f'<time datetime="{iso}">{iso[:10]} {iso[11:16]}</time>'


def _created(app: dict, rows: Rows) -> str:
    return _time(app["created"], rows)


def _last_used(app: dict, rows: Rows) -> str:
    return _time(app["last_used"], rows) if app["last_used"] else NEVER_HTML


COLUMNS = (
    Column("image", "Image", _image, values=("image_uri",), shows_from="sm", label_hidden=True),
    Column(
        "name",
        "Name",
        _name,
        values=("name", "description", "client_type", "client_id", "enabled", "trusted"),
        order_by="name",
        cell_class="app-name",
    ),
    Column(
        "key",
        "App ID/key",
        lambda app, rows: escape(app["client_id"]),
        values=("client_id",),
        order_by="client_id",
        shows_from=KEY_SHOWS_FROM,
        cell_class="font-monospace small key",
    ),
    Column(
        "trusted",
        "Trusted",
        lambda app, rows: "Yes" if app["trusted"] else "No",
        values=("trusted",),
        order_by="trusted",
        shows_from=STATE_SHOWS_FROM,
    ),
    Column(
        "enabled",
        "Enabled",
        lambda app, rows: "Yes" if app["enabled"] else DISABLED_HTML,
        values=("enabled",),
        order_by="enabled",
        shows_from=STATE_SHOWS_FROM,
    ),
    Column("created", "Created", _created, values=("created",), order_by="created", shows_from="sm"),
    Column(
        "tokens",
        "Live tokens",
        lambda app, rows: str(int(app["live_tokens"])),
        count="live_tokens",
        order_by="live_tokens",
        shows_from="sm",
        numeric=True,
    ),
    Column(
        "authorized",
        "Authorized accounts",
        lambda app, rows: str(int(app["authorized_accounts"])),
        count="authorized_accounts",
        order_by="authorized_accounts",
        shows_from="sm",
        numeric=True,
    ),
    Column(
        "last_used", "Last used", _last_used, values=("last_used",), order_by="last_used", shows_from="sm"
    ),
)
