"""The App changelist's rows, as Django's own admin writes its changelist in admin_list.py.

Written as strings rather than by a template loop: 50 rows of template variables, filters
and {% url %} tags were most of the page's time (make bench, P4). Each cell's opening tag is
worked out once, when this module loads, from the columns' declaration (apps_registry.columns);
a row is then its cells joined, every text in them escaped by html.escape (a str.format of the
row's eleven fields cost more: the page 18.81 -> 18.23 million instructions, callgrind, P4).
"""

from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from portal.speedups.urls import reverse

from ..columns import COLUMNS, Rows

register = template.Library()

# Each column's cell: where it opens (closing the cell before it) and how it is written.
CELLS = tuple((f'</td>\n        <td class="{column.cell_classes}">', column.cell) for column in COLUMNS)
ROW_END = "</td>\n      </tr>"


def _row(app: dict, rows: Rows) -> str:
    """One App's row: the selection box, then a cell per column."""
    pk, name = int(app["pk"]), escape(app["name"])
    html = [
        '<tr>\n        <td class="col-check"><input class="form-check-input" type="checkbox" name="app" '
        f'value="{pk}" aria-label="Select {name}">'
    ]
    for opening, cell in CELLS:
        html += (opening, cell(app, rows))
    html.append(ROW_END)
    return "".join(html)


def url_for_pk(name: str):
    """reverse() once per page, not once per row: the URL of any pk is the pattern's URL with
    the pk put in (int path converters write the pk as str(pk))."""
    marker = 2**62  # no App has this pk
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


@register.simple_tag
def app_rows(apps) -> SafeString:
    """The changelist's rows for `apps`, dicts of the columns' values and counts (selectors)."""
    rows = Rows(edit_url=url_for_pk("apps_registry:edit"), zone=timezone.get_current_timezone())
    html = "\n".join([_row(app, rows) for app in apps])
    return mark_safe(html)  # noqa: S308 - every value in the rows is escaped (columns.py)


# The headings and the folded filters, written here for the same reason as the rows: as
# template loops (9 headings, 12 filter choices, each with its URL twice) they were a third
# of the page's template time (make bench, P4). The view gives each its words and URLs. As
# f-strings, as the rows' cells are (columns.py): a str.format with named fields costs more.
@register.simple_tag
def app_headings(columns) -> SafeString:
    """The changelist's column headings (views/changelist.py gives each its words and URL)."""
    html = []
    for column in columns:
        label = escape(column["label"])
        if column["url"]:
            url = escape(column["url"])
            arrow = ""
            if column["sorted"]:
                arrow = f' <span aria-hidden="true">{"▼" if column["descending"] else "▲"}</span>'
            key = column["key"]
            label = f'<a class="sort-link" id="sort-{key}" href="{url}" hx-get="{url}">{label}{arrow}</a>'
        elif column["label_hidden"]:
            label = f'<span class="visually-hidden">{label}</span>'
        sort = ""
        if column["sorted"]:
            sort = f' aria-sort="{"descending" if column["descending"] else "ascending"}"'
        html.append(f'<th scope="col" class="{column["classes"]}"{sort}>{label}</th>')
    return mark_safe("\n      ".join(html))  # noqa: S308 - every value is escaped above


@register.simple_tag
def app_filters(sidebar, clear_url: str | None) -> SafeString:
    """The filters' groups of choices, each with its count, and "Clear all filters"."""
    html = []
    for group in sidebar:
        parameter = escape(group["parameter"])
        choices = "".join(_filter_choice(parameter, i, choice) for i, choice in enumerate(group["choices"]))
        html.append(
            f'<div><h2 class="h6 small text-uppercase mb-1" id="filter-{parameter}">'
            f"By {escape(group['title'].lower())}</h2>"
            f'<ul class="list-inline small mb-0" aria-labelledby="filter-{parameter}">{choices}</ul></div>'
        )
    if clear_url:
        url = escape(clear_url)
        html.append(
            f'<p class="small mb-0 align-self-end"><a href="{url}" hx-get="{url}" id="clear-filters">'
            "Clear all filters</a></p>"
        )
    return mark_safe("\n    ".join(html))  # noqa: S308 - every value is escaped above


def _filter_choice(parameter: str, i: int, choice: dict) -> str:
    url = escape(choice["url"])
    selected = ' selected" aria-current="true' if choice["selected"] else ""
    count = (
        ""
        if choice["count"] is None
        else f' <span class="text-body-secondary">({int(choice["count"])})</span>'
    )
    return (
        f'<li class="list-inline-item"><a class="filter-link{selected}" id="filter-{parameter}-{i}" '
        f'href="{url}" hx-get="{url}">{escape(choice["label"])}{count}</a></li>'
    )
