"""STORAGES["staticfiles"] when DEBUG is off (config/settings.py): whitenoise's compressed
manifest storage, with each file's URL remembered once worked out. Django's manifest storage
works a URL out anew on every {% static %} (the hashed name from the manifest, then
FileSystemStorage's quoting and urljoin): about 17 us each, and every page has five or six.
The manifest is read when the storage is made and only collectstatic changes it, so a name's
URL stays the same for the life of the process; post_process (collectstatic) forgets them."""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False) -> str:
        """The URL Django's storage gives `name`, worked out once (with DEBUG on, Django's
        answer, the unhashed name, every time)."""
        if force or settings.DEBUG:
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:  # worked out now; a file missing from the manifest raises here
            url = self._urls[name] = super().url(name)
            return url

    def post_process(self, *args, **kwargs):
        self._urls.clear()
        yield from super().post_process(*args, **kwargs)
        self._urls.clear()
