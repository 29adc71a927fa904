"""Imports point one way: portal and accounts at the bottom, apps_registry above them, oauth and
playground on top. Nothing below imports from above, and no app imports another app's views.

Read from the source with `ast` (every import, including those inside functions), so a
shortcut taken anywhere in a module fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each app's layer: an app may import from its own layer's apps (except each other's views)
# and from the layers below.
LAYERS = {"portal": 0, "accounts": 0, "apps_registry": 1, "oauth": 2, "playground": 2}


def imports_of(path: Path) -> set[str]:
    """The project modules a file imports, as dotted names (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in LAYERS}


# The root URLconf composes every app's URLs: it stands above them all, as settings do.
COMPOSITION_ROOT = {"portal/urls.py"}


def modules():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts and str(path.relative_to(ROOT)) not in COMPOSITION_ROOT:
                yield app, path.relative_to(ROOT)


@pytest.mark.parametrize(("app", "path"), list(modules()), ids=str)
def test_imports_point_down_and_never_at_another_apps_views(app, path):
    wrong = sorted(
        name
        for name in imports_of(ROOT / path)
        if LAYERS[name.split(".")[0]] > LAYERS[app]
        or (name.split(".")[0] != app and ".views" in f".{name.partition('.')[2]}")
    )
    assert not wrong, f"{path} imports {wrong}"
