"""portal.speedups.static: the production static files storage remembers each file's URL, and
answers what whitenoise's manifest storage answers, after collectstatic changes a file too."""

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from portal.speedups.static import StaticFilesStorage


def _collect(storage, source) -> None:
    """What collectstatic does with one file: copy it in, then the storage's post_process."""
    if storage.exists("site.css"):
        storage.delete("site.css")
    with source.open("site.css") as file:
        storage.save("site.css", file)
    for _name, _hashed, processed in storage.post_process({"site.css": (source, "site.css")}):
        assert processed is not False


def _whitenoise_url(tmp_path) -> str:
    """What whitenoise's own storage, reading the manifest afresh, answers."""
    storage = CompressedManifestStaticFilesStorage(location=tmp_path / "root", base_url="/static/")
    return storage.url("site.css")


@pytest.fixture
def source(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "site.css").write_text("body { color: black }")
    return FileSystemStorage(location=tmp_path / "source")


@override_settings(DEBUG=False)
def test_a_file_url_is_the_manifest_storage_s_and_follows_collectstatic(tmp_path, source):
    storage = StaticFilesStorage(location=tmp_path / "root", base_url="/static/")
    _collect(storage, source)
    first = storage.url("site.css")
    assert first == _whitenoise_url(tmp_path)
    assert first.startswith("/static/site.") and first != "/static/site.css"  # hashed
    assert storage.url("site.css") == first

    (tmp_path / "source" / "site.css").write_text("body { color: navy }")
    _collect(storage, source)
    second = storage.url("site.css")
    assert second != first
    assert second == _whitenoise_url(tmp_path)


@override_settings(DEBUG=False)
def test_a_file_missing_from_the_manifest_is_refused_every_time(tmp_path, source):
    storage = StaticFilesStorage(location=tmp_path / "root", base_url="/static/")
    _collect(storage, source)
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("missing.css")


def test_with_debug_on_the_unhashed_name_as_django_gives_it(tmp_path, source, settings):
    storage = StaticFilesStorage(location=tmp_path / "root", base_url="/static/")
    settings.DEBUG = False
    _collect(storage, source)
    assert storage.url("site.css") != "/static/site.css"
    settings.DEBUG = True
    assert storage.url("site.css") == "/static/site.css"
