"""The App changelist's rows, as Django's own admin writes its changelist in admin_list.py.

Written as one string rather than by a template loop: 50 rows of template variables, filters
and {% url %} tags were most of the page's time (make bench, P4). Every text goes through
html.escape (what Django's escape does, without its lazy-string checks, which were most of the
remaining time).
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ROW_HTML = """<tr>
        <td class="col-check"><input class="form-check-input" type="checkbox" name="app" value="{pk}" aria-label="Select {name}"></td>
        <td class="col-image">{image}</td>
        <td class="app-name"><a href="{edit_url}" id="app-{pk}" hx-get="{edit_url}" hx-target="#modal-content" hx-swap="innerHTML" hx-push-url="false">{name}</a>{public}{description}<div class="font-monospace small key key-under-name">{client_id}</div></td>
        <td class="col-key font-monospace small key">{client_id}</td>
        <td class="col-trusted">{trusted}</td>
        <td class="col-enabled">{enabled}</td>
        <td class="col-created"><time datetime="{created_iso}">{created_text}</time></td>
        <td class="col-tokens text-end">{live_tokens}</td>
        <td class="col-authorized text-end">{authorized_accounts}</td>
        <td class="col-last_used">{last_used}</td>
      </tr>"""  # noqa: E501
IMAGE_HTML = '<img class="app-image" src="{}" alt="" loading="lazy" referrerpolicy="no-referrer">'
NO_IMAGE_HTML = '<span class="app-image-placeholder" aria-hidden="true"></span>'
DESCRIPTION_HTML = '<div class="small text-body-secondary app-description">{}</div>'
DESCRIPTION_LENGTH = 80
DISABLED_HTML = '<span class="badge text-bg-warning">No</span>'
PUBLIC_HTML = ' <span class="badge text-bg-info">Public client</span>'
TIME_HTML = '<time datetime="{}">{}</time>'
NEVER_HTML = '<span class="text-body-secondary">Never</span>'


def url_for_pk(name: str):
    """reverse() once per page, not once per row: the URL of any pk is the pattern's URL with
    the pk put in (int path converters write the pk as str(pk))."""
    marker = 2**62  # no App has this pk
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


@register.simple_tag
def app_rows(apps) -> SafeString:
    """The changelist's rows for `apps`, dicts of selectors.CHANGELIST_COLUMNS and COUNT_COLUMNS."""
    edit_url = url_for_pk("apps_registry:edit")
    zone = timezone.get_current_timezone()
    rows = []
    for app in apps:
        created = app["created"].astimezone(zone)
        last_used = app["last_used"].astimezone(zone) if app["last_used"] else None
        image = app["image_uri"]
        description = " ".join(app["description"].split())
        if len(description) > DESCRIPTION_LENGTH:
            description = description[: DESCRIPTION_LENGTH - 1].rstrip() + "…"
        rows.append(
            ROW_HTML.format(
                pk=int(app["pk"]),
                name=escape(app["name"]),
                description=DESCRIPTION_HTML.format(escape(description)) if description else "",
                image=IMAGE_HTML.format(escape(image)) if image.startswith("https://") else NO_IMAGE_HTML,
                edit_url=escape(edit_url(app["pk"])),
                client_id=escape(app["client_id"]),
                public=PUBLIC_HTML if app["client_type"] == "public" else "",
                trusted="Yes" if app["trusted"] else "No",
                enabled="Yes" if app["enabled"] else DISABLED_HTML,
                created_iso=created.isoformat(),
                created_text=created.strftime("%Y-%m-%d %H:%M"),
                live_tokens=int(app["live_tokens"]),
                authorized_accounts=int(app["authorized_accounts"]),
                last_used=TIME_HTML.format(last_used.isoformat(), last_used.strftime("%Y-%m-%d %H:%M"))
                if last_used
                else NEVER_HTML,
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value in the rows is escaped above
