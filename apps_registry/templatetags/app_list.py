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
    return mark_safe("\n".join([_row(app, rows) for app in apps]))  # noqa: S308 - every value in the rows is escaped (columns.py)


# The headings and the folded filters, written here for the same reason as the rows: as
# template loops (9 headings, 12 filter choices, each with its URL twice) they were a third
# of the page's template time (make bench, P4). The view gives each its words and URLs.
HEADING_HTML = '<th scope="col" class="{classes}"{sort}>{label}</th>'
SORT_LINK_HTML = '<a class="sort-link" id="sort-{key}" href="{url}" hx-get="{url}">{label}{arrow}</a>'
ARROW_HTML = ' <span aria-hidden="true">{}</span>'
FILTER_HTML = (
    '<li class="list-inline-item"><a class="filter-link{selected}" id="filter-{parameter}-{i}" '
    'href="{url}" hx-get="{url}">{label}{count}</a></li>'
)
FILTER_GROUP_HTML = (
    '<div><h2 class="h6 small text-uppercase mb-1" id="filter-{parameter}">By {title}</h2>'
    '<ul class="list-inline small mb-0" aria-labelledby="filter-{parameter}">{choices}</ul></div>'
)
CLEAR_FILTERS_HTML = (
    '<p class="small mb-0 align-self-end"><a href="{url}" hx-get="{url}" id="clear-filters">'
    "Clear all filters</a></p>"
)


@register.simple_tag
def app_headings(columns) -> SafeString:
    """The changelist's column headings (views/changelist.py gives each its words and URL)."""
    html = []
    for column in columns:
        label = escape(column["label"])
        if column["url"]:
            url = escape(column["url"])
            arrow = ARROW_HTML.format("▼" if column["descending"] else "▲") if column["sorted"] else ""
            label = SORT_LINK_HTML.format(key=column["key"], url=url, label=label, arrow=arrow)
        elif column["label_hidden"]:
            label = f'<span class="visually-hidden">{label}</span>'
        sort = ""
        if column["sorted"]:
            sort = ' aria-sort="{}"'.format("descending" if column["descending"] else "ascending")
        html.append(HEADING_HTML.format(classes=column["classes"], sort=sort, label=label))
    return mark_safe("\n      ".join(html))  # noqa: S308 - every value is escaped above


@register.simple_tag
def app_filters(sidebar, clear_url: str | None) -> SafeString:
    """The filters' groups of choices, each with its count, and "Clear all filters"."""
    html = []
    for group in sidebar:
        parameter = escape(group["parameter"])
        choices = "".join(
            FILTER_HTML.format(
                selected=' selected" aria-current="true' if choice["selected"] else "",
                parameter=parameter,
                i=i,
                url=escape(choice["url"]),
                label=escape(choice["label"]),
                count=f' <span class="text-body-secondary">({int(choice["count"])})</span>'
                if choice["count"] is not None
                else "",
            )
            for i, choice in enumerate(group["choices"])
        )
        html.append(
            FILTER_GROUP_HTML.format(
                parameter=parameter, title=escape(group["title"].lower()), choices=choices
            )
        )
    if clear_url:
        html.append(CLEAR_FILTERS_HTML.format(url=escape(clear_url)))
    return mark_safe("\n    ".join(html))  # noqa: S308 - every value is escaped above
