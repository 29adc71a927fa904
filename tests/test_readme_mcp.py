"""README's "Connect an MCP client" works as written (issue 25): its first command's environment
goes through the Makefile's own steps. `make -n run` shows them; each manage.py step before
the server runs for real, with the README's variables, on a database of its own (migrate runs
the system checks: an http loopback MCP server in OAUTH_EXTRA_RESOURCES stopped it with
oauth.E001 while only runserver had OAUTH_ALLOW_LOOPBACK_HTTP); `make -n mcp` installs the SDK
the section's next steps import."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from tests.served import PROJECT

README = PROJECT / "README.md"


def section_environment() -> dict[str, str]:
    """The variables step 1 of the section sets before `make run`."""
    text = README.read_text()
    section = text[text.index("## Connect an MCP client") :]
    start = section.index("# 1. The portal")
    step = section[start : section.index("make run", start)]
    return dict(re.findall(r"^([A-Z_]+)=(\S+)", step, re.MULTILINE))


def make_dry_run(target: str, env: dict[str, str]) -> list[str]:
    command = ["make", "-n", target]
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout.replace("\\\n", " ").splitlines()  # a step continued over lines is one


def test_the_section_sets_the_mcp_server_as_a_resource_and_open_registration():
    assert section_environment() == {
        "OAUTH_EXTRA_RESOURCES": "unifiedapi=http://127.0.0.1:8001/mcp",
        "OAUTH_OPEN_REGISTRATION_ACCOUNT": "organization",
    }


@pytest.mark.slow
def test_make_runs_migrate_and_seed_with_the_sections_environment(tmp_path):
    env = {**os.environ, **section_environment()}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    steps = [line for line in make_dry_run("run", env) if "manage.py" in line and "runserver" not in line]
    # migrate, seed_demo, and the demo's outbox emptied (issue 27) before the server starts.
    assert [line.split("manage.py ")[1].split()[0] for line in steps] == ["migrate", "seed_demo", "db_worker"]
    served = next(line for line in make_dry_run("run", env) if "runserver" in line)
    assert "OAUTH_ALLOW_LOOPBACK_HTTP=true" in served
    assert "manage.py db_worker" in served  # the outbox's worker beside the server
    for line in steps:
        words = shlex.split(line)
        settings = dict(word.split("=", 1) for word in words if "=" in word and not word.startswith("-"))
        command = [sys.executable, *words[words.index(next(w for w in words if w.endswith("python"))) + 1 :]]
        assert "OAUTH_ALLOW_LOOPBACK_HTTP" in settings, line  # every step, not runserver only
        done = subprocess.run(  # noqa: S603 (our own manage.py)
            command,
            cwd=PROJECT,
            env={**env, **settings, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
        assert "oauth.E001" not in done.stderr


def test_make_mcp_installs_the_sdk_the_next_steps_import():
    lines = make_dry_run("mcp", {**os.environ})
    assert (
        any('pip install --quiet ".[mcp]"' in line for line in lines) or not lines
    )  # up to date: nothing to do
    import tomllib

    extras = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(requirement.startswith("mcp>=") for requirement in extras["mcp"])
    readme = README.read_text()
    section = readme[readme.index("## Connect an MCP client") :]
    assert section.index("make mcp") < section.index("python -m tests.mcp.server")
