"""reverse() worked out once per process for each view name and arguments, and Django's
{% url %} tag on top of it (a template builtin, config/settings.py's TEMPLATES).

Django's reverse() walks the namespaces, tries each pattern of the view with the arguments
(a regular expression built and searched per call) and quotes the result: about 20 us, and
every signed-in page asks for a dozen (the header, the side menu, the breadcrumb, the page's
own links). The URL of a view name and its arguments only changes with what the key holds:
the URLconf in force (its resolver, which Django makes anew when ROOT_URLCONF changes), the
script prefix (SCRIPT_NAME, set per request), the language (for i18n_patterns) and, for
namespaced names, the current application. Only plain int and str arguments (and a
template's quoted literals, SafeStrings) are remembered: a model instance or a lazy string may
write itself differently next time. Anything else, a query or a fragment, and a name that does
not reverse, go to Django's reverse() every time.

And `urlencode`, urllib's for links made of the same few names and values (the App list's
column headings and filter choices: twenty links a page, each its query string's names and
values quoted again by urllib), quoting each name and value once per process.
"""

from __future__ import annotations

import functools
from urllib.parse import quote_plus

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# Enough for every page's fixed URLs and the accounts' own pages one worker sees in a while.
REMEMBERED = 4096
# A template's quoted literal is a SafeString: the same text as the str.
_NAMES = (str, SafeString)
_PLAIN = (int, *_NAMES)


@functools.lru_cache(maxsize=REMEMBERED)
def _remembered(resolver, prefix, language, viewname, args, kwargs, current_app) -> str:
    return django_reverse(viewname, resolver.urlconf_name, list(args), dict(kwargs), current_app=current_app)


def _plain(values) -> bool:
    return all(type(value) in _PLAIN for value in values)


def reverse(viewname, urlconf=None, args=None, kwargs=None, current_app=None, **url_parts) -> str:
    """Django's reverse(), remembered when the view is named by a string and its arguments
    are ints and strs; the same URL, or the same NoReverseMatch, as Django's."""
    args = tuple(args or ())
    kwargs = tuple(sorted((kwargs or {}).items()))
    if url_parts or type(viewname) not in _NAMES or not _plain(args) or not _plain(v for _, v in kwargs):
        return django_reverse(viewname, urlconf, args, dict(kwargs), current_app, **url_parts)
    resolver = get_resolver(urlconf if urlconf is not None else get_urlconf())
    return _remembered(resolver, get_script_prefix(), get_language(), viewname, args, kwargs, current_app)


# Names and values of query strings quoted once per process: this many, of at most
# QUOTED_LENGTH characters each (a longer one, a long search say, is quoted every time), so a
# client varying its queries cannot make them hold much (portal/speedups/__init__.py: how much).
QUOTED = 1024
QUOTED_LENGTH = 100


@functools.lru_cache(maxsize=QUOTED)
def _quoted(text: str) -> str:
    return quote_plus(text)


def _quote(text: str) -> str:
    return _quoted(text) if len(text) <= QUOTED_LENGTH else quote_plus(text)


def urlencode(pairs) -> str:
    """urllib.parse.urlencode(pairs) for (name, value) pairs of strs, the same text, each name
    and value quoted once per process (up to QUOTED of them) rather than on every link."""
    return "&".join([f"{_quote(str(name))}={_quote(str(value))}" for name, value in pairs])


register = template.Library()


class URLNode(defaulttags.URLNode):
    """Django's URLNode (django/template/defaulttags.py, 5.2), its render() the same but for
    the reverse() it calls: this module's. tests/portal/test_url_memo.py renders every form of
    the tag with both and compares."""

    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """{% url %}, parsed by Django's own tag function and rendered by URLNode above."""
    node = defaulttags.url(parser, token)
    return URLNode(node.view_name, node.args, node.kwargs, node.asvar)
