"""Numbered pages as the Django admin's (ellipses between far pages), with First and Last, for
the App list, the audit trail and an App's tokens. Written in Python, not as a template: with
{% querystring %} twice per link it was a tenth of the App list's time (make bench, P4)."""

from html import escape
from urllib.parse import urlencode

from django import template
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ELLIPSIS_HTML = '<li class="page-item disabled"><span class="page-link">…</span></li>'


@register.simple_tag(takes_context=True)
def pager(context, page, page_range, css: str = "", htmx: bool = False) -> SafeString:
    """The pages of `page` (page_range: the Paginator's get_elided_page_range for it); each
    link is this page's URL with `page` changed, as {% querystring page=n %} writes it;
    `htmx` adds hx-get to the links."""
    if not page.has_other_pages():
        return mark_safe("")
    page_url = page_urls(context.request.GET)

    def link(key, number: int, label: str) -> str:
        url = escape(page_url(number))
        hx = f' hx-get="{url}"' if htmx else ""
        return f'<li class="page-item"><a class="page-link" id="page-{key}" href="{url}"{hx}>{label}</a></li>'

    pages = page.paginator.num_pages
    items = []
    if page.number != 1:
        items.append(link("first", 1, "First"))
    if page.has_previous():
        items.append(link("previous", page.previous_page_number(), "Previous"))
    for number in page_range:
        if number == page.paginator.ELLIPSIS:
            items.append(ELLIPSIS_HTML)
        elif number == page.number:
            items.append(
                '<li class="page-item active" aria-current="page"><span class="page-link">'
                f'<span class="visually-hidden">Page </span>{number}</span></li>'
            )
        else:
            items.append(link(number, number, f'<span class="visually-hidden">Page </span>{number}'))
    if page.has_next():
        items.append(link("next", page.next_page_number(), "Next"))
    if page.number != pages:
        items.append(link("last", pages, "Last"))
    css = f' class="{escape(css)}"' if css else ""
    html = (
        f'<nav aria-label="Pages"{css}><ul class="pagination pagination-sm flex-wrap">\n  '
        + "\n  ".join(items)
        + f'\n</ul>\n<p class="small text-body-secondary mb-0">Page {page.number} of {pages}</p></nav>'
    )
    return mark_safe(html)  # noqa: S308 - the URLs are escaped, the rest are numbers and constants


def page_urls(query: QueryDict):
    """A function of a page number giving what {% querystring page=n %} writes for `query`:
    its parameters in their order, `page` in its place (or last) holding n alone. The other
    parameters are encoded once, not once per link (a pager has up to 14: make bench, P4)."""
    before, after, seen = [], [], False
    for key, values in query.lists():
        if key == "page":
            seen = True
        else:
            (after if seen else before).extend((key, value) for value in values)
    head, tail = urlencode(before), urlencode(after)
    return lambda number: "?" + "&".join(part for part in (head, f"page={number}", tail) if part)
