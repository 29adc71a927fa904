"""Imports point one way, down: the composition root (config/) on top, then the rooms from
playground down to accounts, then operations (ops/), and the shared kernel (portal/) at the
bottom, importing none of them. Each app stands on a layer of its own, and no app imports
another app's views (only the root, which composes the URLs, does).

Read from the source with `ast` (every import, including those inside functions), so a
shortcut taken anywhere in a module fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first, as in INSTALLED_APPS: a module may import its own app and the apps below it.
LAYERS = {
    "portal": 0,
    "ops": 1,
    "accounts": 2,
    "apps_registry": 3,
    "oauth": 4,
    "playground": 5,
    "config": 6,
}
COMPOSITION_ROOT = "config"


def imports_in(source: str, package: str) -> set[str]:
    """The project modules `source` (a module of `package`) imports, as dotted names, with
    relative imports resolved."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in LAYERS}


def wrong_imports(app: str, source: str, package: str) -> list[str]:
    """What a module of `app` imports against the layering: an app above its own, or another
    app's views (except from the composition root)."""
    wrong = []
    for name in sorted(imports_in(source, package)):
        target = name.split(".")[0]
        upward = LAYERS[target] > LAYERS[app]
        views = target != app and app != COMPOSITION_ROOT and ".views" in f".{name.partition('.')[2]}"
        if upward or views:
            wrong.append(name)
    return wrong


def modules():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path.relative_to(ROOT)


@pytest.mark.parametrize(("app", "path"), list(modules()), ids=str)
def test_imports_point_down_and_never_at_another_apps_views(app, path):
    package = ".".join(path.with_suffix("").parts[:-1])
    wrong = wrong_imports(app, (ROOT / path).read_text(), package)
    assert not wrong, f"{path} imports {wrong}"


def test_every_project_app_is_on_a_layer_in_the_order_django_loads_them(settings):
    project_apps = [app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()]
    assert project_apps == [app for app in LAYERS if app != COMPOSITION_ROOT]


@pytest.mark.parametrize(
    ("app", "package", "source", "wrong"),
    [
        # Up a layer, plainly, relatively, or inside a function.
        (
            "portal",
            "portal",
            "from accounts.models import Account",
            ["accounts.models", "accounts.models.Account"],
        ),
        ("apps_registry", "apps_registry.views", "from ...oauth import issuer", ["oauth", "oauth.issuer"]),
        ("accounts", "accounts", "def f():\n    import playground.views", ["playground.views"]),
        ("ops", "ops", "import config.settings", ["config.settings"]),
        # Another app's views, even below.
        ("oauth", "oauth", "from accounts.views import home", ["accounts.views", "accounts.views.home"]),
        # Down, or within the app: fine.
        ("oauth", "oauth.views", "from ..endpoints import ENDPOINTS\nfrom portal.http import sensitive", []),
        ("config", "config", "from accounts import views", []),
    ],
)
def test_the_check_itself_catches_an_arrow_pointing_up(app, package, source, wrong):
    assert wrong_imports(app, source, package) == wrong
