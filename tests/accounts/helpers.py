"""What the account pages' tests share: an HTML page's links, options and text
(entities decoded), and the sign-in URL that returns to a page."""

from html.parser import HTMLParser

from django.urls import reverse


class Page(HTMLParser):
    """The links, the <select> options and the visible text of an HTML page (entities decoded)."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.options: dict[str, list[tuple[str, str]]] = {}
        self._link: list | None = None
        self._select: str | None = None
        self._option: list | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a":
            self._link = [attributes.get("href", ""), ""]
        elif tag == "select":
            self._select = attributes.get("name", "")
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select is not None:
            self._option = [attributes.get("value", ""), ""]

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join(self._link[1].split())))
            self._link = None
        elif tag == "option" and self._option is not None:
            self.options[self._select].append((self._option[0], self._option[1].strip()))
            self._option = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data
        if self._option is not None:
            self._option[1] += data


def page(response) -> Page:
    return Page(response.content.decode())


def hrefs(response) -> set[str]:
    return {href for href, _text in page(response).links}


def login_redirect(path: str) -> str:
    return f"{reverse('login')}?next={path}"
