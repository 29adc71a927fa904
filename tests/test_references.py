"""References that cannot drift: every migration and every section of docs/design.md (and of
docs/deployment.md) that the project's text cites exists.

What is read: every text file of the project (code, templates, tests, docs/*.md, README.md,
the Makefile; not .venv, node_modules, the vendored static files or this file, whose checks
below quote wrong references on purpose).

Migrations. A citation names a migration by its number ("migration 0009", "migrations 0005
and 0009", "Migration 0008") or by its name ("0009_app_secrets"), of one app:
- the app is named when the text says so: `accounts/migrations/0002_parent_kind_triggers.py`,
  `apps_registry/0010_token_count_index`, `apps_registry.migrations.0004_secret_version`,
  `("accounts", "0003_account_event")`, "accounts migration 0002", "django-oauth-toolkit's
  migration 0004" (an app's label, or the name of the package that provides it);
- otherwise it is the default app: the app whose folder the file is in when that app has
  migrations (a bare "migration 0002" in accounts/ is accounts' 0002), and apps_registry
  everywhere else (docs, README, tests, oauth/, bench/, ...), whose migrations hold the Apps,
  the tokens and their triggers. A citation of another app's migration outside its folder
  must name the app.
The number (or the name) must be one of that app's migrations on disk. And where the text says
that a trigger is the cited migration's ("the trigger of migration 0009", "migration 0004's
trigger", "a database trigger (migration 0009)", "triggers (migrations 0005 and 0009)"), that
migration must create one (CREATE TRIGGER in its source): the trigger a later migration
re-creates is cited by the migration that defines it.

Sections. A citation of docs/design.md is "design §N", "design §N.M", "design §3 and 4",
"design §3 and §6", "design section N", "docs/design.md §N"; of docs/deployment.md,
"deployment.md §N" or "docs/deployment.md, section N" (or "section N of the deployment
guide"). Inside docs/design.md and docs/deployment.md, "section N" and "sections N and M" cite
the document itself (a bare "§N" there is an RFC's section, as in "RFC 7591 §3.1", and is not
read). §N must be a numbered heading ("## 5. ..."); §N.M a numbered heading ("### 6.1 ...")
or step M of a numbered list in section N ("§5.2 is step 2 of section 5").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()
DEFAULT_APP = "apps_registry"
# Packages named in prose, by the label of the app they provide.
ALIASES = {"django-oauth-toolkit": "oauth2_provider", "DOT": "oauth2_provider"}
DOCS = {"design": ROOT / "docs" / "design.md", "deployment": ROOT / "docs" / "deployment.md"}

TEXT_SUFFIXES = {".py", ".md", ".html", ".js", ".css", ".txt", ".toml", ".cfg", ".ini", ".conf", ".sh"}
TEXT_NAMES = {"Makefile", "run"}  # .ci/run
SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache", "vendor"}

NUMBER = r"\d{4}"
NUMBERS = rf"{NUMBER}(?:(?:,\s*|,?\s+and\s+|\s+or\s+){NUMBER})*"
NAME = r"\d{4}_[a-z][a-z0-9_]*"
# Explicit forms: the app is named.
PATH_FORM = re.compile(rf"\b(?P<app>[a-z_]+)[/.]migrations[/.](?P<name>{NAME})")
SHORT_FORM = re.compile(rf"\b(?P<app>[a-z_]+)/(?P<name>{NAME})")
TUPLE_FORM = re.compile(rf"\(\s*[\"'](?P<app>\w+)[\"'],\s*[\"'](?P<name>{NAME})[\"']\s*\)")
NAMED_APP_FORM = re.compile(rf"(?P<app>[A-Za-z][\w-]*)(?:'s)?\s+[Mm]igrations?\s+(?P<numbers>{NUMBERS})\b")
# Bare forms: the default app.
BARE_NUMBERS = re.compile(rf"\b[Mm]igrations?\s+(?P<numbers>{NUMBERS})\b")
BARE_NAME = re.compile(rf"(?<![\w/.\"'])(?P<name>{NAME})\b")
# Where the text says the trigger is the migration's.
TRIGGER_BEFORE = re.compile(r"triggers?(?:\s+of|[^.;:()\n]{0,40}\()\s*$")
TRIGGER_AFTER = re.compile(r"^'s\s+triggers?\b")

SECTION = r"\d+(?:\.\d+)*"
SECTIONS = rf"§?\s?{SECTION}(?:(?:,\s*|\s+and\s+|\s+or\s+|\s+to\s+)§?\s?{SECTION})*"
DOC_CITATIONS = [
    (doc, re.compile(pattern))
    for doc, pattern in [
        ("design", rf"\bdesign(?:\.md)?\)?,?\s+(?:§\s?|[Ss]ections?\s+)(?P<refs>{SECTIONS})"),
        ("deployment", rf"\bdeployment\.md\)?,?\s+(?:§\s?|[Ss]ections?\s+)(?P<refs>{SECTIONS})"),
        ("deployment", rf"\b[Ss]ections?\s+(?P<refs>{SECTIONS})\s+of\s+the\s+(?:deployment\s+)?guide\b"),
    ]
]
OWN_SECTIONS = re.compile(rf"\b[Ss]ections?\s+(?P<refs>{SECTION}(?:(?:,\s*|\s+and\s+|\s+to\s+){SECTION})*)")


@dataclass(frozen=True)
class Migrations:
    """The migrations on disk: their names by app label, and which create a trigger."""

    names: dict[str, frozenset[str]]
    with_trigger: frozenset[tuple[str, str]]
    folders: dict[str, Path]  # the project's own apps that have migrations

    def resolve(self, app: str, cited: str) -> str | None:
        """The name of the app's migration cited by its number or its whole name."""
        names = self.names.get(ALIASES.get(app, app), frozenset())
        matches = [name for name in names if name == cited or name.split("_", 1)[0] == cited]
        return matches[0] if len(matches) == 1 else None


@cache
def migrations_on_disk() -> Migrations:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names: dict[str, set[str]] = {}
    with_trigger = set()
    for (app, name), migration in loader.disk_migrations.items():
        names.setdefault(app, set()).add(name)
        source = Path(__import__(migration.__module__, fromlist=["_"]).__file__).read_text()
        if "CREATE TRIGGER" in source:
            with_trigger.add((app, name))
    folders = {
        config.label: Path(config.path)
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and config.label in names
    }
    return Migrations({app: frozenset(n) for app, n in names.items()}, frozenset(with_trigger), folders)


def default_app(path: Path, migrations: Migrations) -> str:
    for app, folder in migrations.folders.items():
        if path.resolve().is_relative_to(folder):
            return app
    return DEFAULT_APP


@cache
def sections_of(doc: str) -> frozenset[str]:
    """The numbered headings of a document, and the numbered steps within its sections."""
    found, current = set(), None
    for line in DOCS[doc].read_text().splitlines():
        heading = re.match(rf"^#{{2,}}\s+(?P<number>{SECTION})\.?\s", line)
        if heading:
            found.add(heading.group("number"))
            current = heading.group("number") if "." not in heading.group("number") else current
            continue
        step = re.match(r"^(?P<step>\d+)\.\s", line)
        if step and current:
            found.add(f"{current}.{step.group('step')}")
    return frozenset(found)


def section_numbers(refs: str) -> list[str]:
    return re.findall(SECTION, refs)


def migration_problems(text: str, path: Path, migrations: Migrations) -> tuple[list[str], int]:
    """What is wrong with the migrations `text` cites, and how many it cites."""
    problems, taken, count = [], [], 0

    def cite(app: str, cited: str, start: int, end: int) -> None:
        """`cited` of `app`, where text[start:end] is the citation (its words and numbers)."""
        nonlocal count
        count += 1
        line = text.count("\n", 0, start) + 1
        name = migrations.resolve(app, cited)
        if name is None:
            problems.append(f"{path.relative_to(ROOT)}:{line}: {app} has no migration {cited}")
            return
        # The words before it, with the lines of a comment or docstring joined.
        before = re.sub(r"\s*\n\s*(?:#\s*)?", " ", text[max(0, start - 80) : start])
        after = text[end : end + 20]
        if (TRIGGER_BEFORE.search(before) or TRIGGER_AFTER.match(after)) and (
            ALIASES.get(app, app),
            name,
        ) not in migrations.with_trigger:
            problems.append(
                f"{path.relative_to(ROOT)}:{line}: cites {app} {name} for a trigger, which it does not create"
            )

    def overlaps(start: int, end: int) -> bool:
        return any(start < taken_end and taken_start < end for taken_start, taken_end in taken)

    for form in (PATH_FORM, TUPLE_FORM, SHORT_FORM):
        for match in form.finditer(text):
            if overlaps(*match.span()) or match.group("app") not in migrations.names:
                continue
            taken.append(match.span())
            cite(match.group("app"), match.group("name"), *match.span())
    for match in NAMED_APP_FORM.finditer(text):
        app = ALIASES.get(match.group("app"), match.group("app"))
        if app not in migrations.names or overlaps(*match.span()):
            continue
        taken.append(match.span())
        for number in re.finditer(NUMBER, match.group("numbers")):
            cite(app, number.group(), match.start(), match.end())
    app = default_app(path, migrations)
    for match in BARE_NUMBERS.finditer(text):
        if overlaps(*match.span()):
            continue
        taken.append(match.span())
        for number in re.finditer(NUMBER, match.group("numbers")):
            cite(app, number.group(), match.start(), match.end())
    for match in BARE_NAME.finditer(text):
        if not overlaps(*match.span()):
            cite(app, match.group("name"), *match.span())
    return problems, count


def section_problems(text: str, path: Path) -> tuple[list[str], int]:
    """What is wrong with the sections of docs/design.md and docs/deployment.md `text` cites."""
    problems, count = [], 0
    found = [(doc, match) for doc, pattern in DOC_CITATIONS for match in pattern.finditer(text)]
    own = next((doc for doc, doc_path in DOCS.items() if doc_path.resolve() == path.resolve()), None)
    taken = [match.span() for _, match in found]
    if own:
        for match in OWN_SECTIONS.finditer(text):
            if not any(match.start() < end and start < match.end() for start, end in taken):
                found.append((own, match))
    for doc, match in found:
        for number in section_numbers(match.group("refs")):
            count += 1
            if number not in sections_of(doc):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: docs/{doc}.md has no section {number}")
    return problems, count


def project_texts():
    """Each text file of the project and its text (symbolic links to directories not followed)."""
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = sorted(name for name in subdirectories if name not in SKIP_DIRS)
        for name in sorted(files):
            path = Path(directory) / name
            if path == THIS or name.startswith(".test-db"):
                continue
            if path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
                yield path, path.read_text(errors="replace")


def test_every_migration_and_section_cited_exists():
    migrations = migrations_on_disk()
    problems, migration_citations, section_citations = [], 0, 0
    for path, text in project_texts():
        wrong, count = migration_problems(text, path, migrations)
        problems += wrong
        migration_citations += count
        wrong, count = section_problems(text, path)
        problems += wrong
        section_citations += count

    assert not problems, "\n".join(problems)
    # The scan reads what it should: the project cites both, many times.
    assert migration_citations > 20 and section_citations > 100, (migration_citations, section_citations)


# --- the checker itself ------------------------------------------------------------------------

IN_DOCS = ROOT / "docs" / "example.md"  # not read: the checks below pass their own text
IN_ACCOUNTS = ROOT / "accounts" / "example.py"


DEPENDENCIES = '[("accounts", "0003_account_event"), ("auth", "0012_alter_user_first_name_max_length")]'


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("A database trigger (migration 0009) refuses it.", IN_DOCS),
        ("The grants were read by Migration 0008, the guard by migrations 0005 and 0009.", IN_DOCS),
        ("The triggers of migrations 0005 and 0009; migration 0004's trigger.", IN_DOCS),
        ("As migration 0006 does: the triggers are created again.", IN_DOCS),
        ("Triggers: `accounts/migrations/0002_parent_kind_triggers.py`.", IN_DOCS),
        (f"dependencies = {DEPENDENCIES}", IN_ACCOUNTS),
        ("The table, enforced with triggers (migration 0002).", IN_ACCOUNTS),
        ("apps_registry/0010_token_count_index, accounts migration 0004, 0008_app_authorization", IN_DOCS),
        ("IDToken (django-oauth-toolkit's migration 0004).", IN_DOCS),
    ],
)
def test_the_checker_takes_migrations_that_exist(text, path):
    problems, count = migration_problems(text, path, migrations_on_disk())
    assert problems == []
    assert count >= 1


NO_TRIGGER = "for a trigger, which it does not create"


@pytest.mark.parametrize(
    ("text", "path", "problem"),
    [
        ("A database trigger (migration 0099) refuses it.", IN_DOCS, "apps_registry has no migration 0099"),
        ("Fixed in migrations 0005 and 0042.", IN_DOCS, "apps_registry has no migration 0042"),
        ("The parent table (accounts migration 0009).", IN_DOCS, "accounts has no migration 0009"),
        ("enforced with triggers (migration 0042).", IN_ACCOUNTS, "accounts has no migration 0042"),
        ("See `apps_registry/0010_token_counts`.", IN_DOCS, "has no migration 0010_token_counts"),
        ("A database trigger (migration 0007) refuses it.", IN_DOCS, NO_TRIGGER),
        ("What the trigger of migration 0007 says.", IN_DOCS, NO_TRIGGER),
        ("Like migration 0006's trigger, it runs in the INSERT.", IN_DOCS, NO_TRIGGER),
        ("# first, as the token trigger locks it\n    # (migration 0007): no deadlock", IN_DOCS, NO_TRIGGER),
    ],
)
def test_the_checker_finds_a_wrong_migration(text, path, problem):
    problems, _ = migration_problems(text, path, migrations_on_disk())
    assert len(problems) == 1 and problem in problems[0], problems


@pytest.mark.parametrize(
    "text",
    [
        "design §2, design §6.1, design §5.2 (step 2 of section 5), design §3 and 4, design §3 and §6",
        "docs/design.md §7; design section 6; (docs/deployment.md, section 9); deployment.md §2",
        "RFC 7591 §3.1 and RFC 9728 §3.3 are not the design's",
    ],
)
def test_the_checker_takes_sections_that_exist(text):
    problems, count = section_problems(text, IN_DOCS)
    assert problems == []
    assert count >= (0 if text.startswith("RFC") else 3)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("See design §12.", "docs/design.md has no section 12"),
        ("As design §5.9 says.", "docs/design.md has no section 5.9"),
        ("design §6.9: no such subsection", "docs/design.md has no section 6.9"),
        ("design §3 and 11", "docs/design.md has no section 11"),
        ("(docs/deployment.md, section 10)", "docs/deployment.md has no section 10"),
    ],
)
def test_the_checker_finds_a_wrong_section(text, problem):
    problems, _ = section_problems(text, IN_DOCS)
    assert len(problems) == 1 and problem in problems[0], problems


def test_sections_cited_inside_a_document_are_its_own():
    design, deployment = DOCS["design"], DOCS["deployment"]

    assert section_problems("as sections 2 and 3 say", design) == ([], 2)
    assert section_problems("the unit in section 3", deployment) == ([], 1)
    assert section_problems("sections 2 and 12", design)[0] == [
        "docs/design.md:1: docs/design.md has no section 12"
    ]
    assert section_problems("section 2 of nothing", ROOT / "README.md") == ([], 0)
