"""The App changelist's rows, as Django's own admin writes its changelist in admin_list.py.

Written as one string rather than by a template loop: 50 rows of template variables, filters
and {% url %} tags were most of the page's time (make bench, P4). The string (ROW_HTML) is
assembled once, when this module loads, from the columns' declaration (apps_registry.columns);
each row is then one str.format of its cells, every text in them escaped by html.escape.
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from ..columns import COLUMNS, Rows

register = template.Library()

# The selection box, then a cell per column.
CHECK_HTML = (
    '<td class="col-check"><input class="form-check-input" type="checkbox" name="app" value="{pk}" '
    'aria-label="Select {name}"></td>'
)
ROW_HTML = "<tr>\n        {}\n      </tr>".format(
    "\n        ".join(
        [
            CHECK_HTML.replace("{pk}", "{0}").replace("{name}", "{1}"),
            *(f'<td class="{column.cell_classes}">{{{i}}}</td>' for i, column in enumerate(COLUMNS, start=2)),
        ]
    )
)
CELLS = tuple(column.cell for column in COLUMNS)


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
    cells = CELLS
    html = [
        ROW_HTML.format(int(app["pk"]), escape(app["name"]), *[cell(app, rows) for cell in cells])
        for app in apps
    ]
    return mark_safe("\n".join(html))  # noqa: S308 - every value in the rows is escaped (columns.py)
