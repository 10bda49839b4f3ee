"""The documentation cannot drift from the code: settings, quick start, commands, routes, links."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
from pydantic import SecretStr

from accord import cli
from accord.app import create_app
from accord.settings import CONFIG_FILE_ENV, Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
SETTINGS_DOC = DOCS / "settings.md"
OPERATIONS_DOC = DOCS / "operations.md"
QUICK_START = ("pip install . && accord demo", "./scripts/test")

ROW = re.compile(r"^\|\s*`(?P<name>[a-z_]+)`\s*\|\s*`(?P<env>[A-Z_]+)`\s*\|(?P<rest>.*)$")
ENV_VAR = re.compile(r"\bACCORD_[A-Z_]+\b")
FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
API_PATH = re.compile(r"/api/v1/[A-Za-z0-9_\-/{}.$]*")
INVOCATION = re.compile(r"(?:^|`|\$ |\$\(|&& )accord (?P<args>[^`\n)]*)", re.MULTILINE)


def env_var(name: str) -> str:
    return f"ACCORD_{name.upper()}"


def settings_rows() -> dict[str, tuple[str, list[str]]]:
    """Each documented setting: its env var and the remaining cells of its table row."""
    rows: dict[str, tuple[str, list[str]]] = {}
    for line in SETTINGS_DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            cells = [c.strip() for c in match["rest"].rstrip("|").split("|")]
            rows[match["name"]] = (match["env"], cells)
    return rows


def documented_default(value: Any) -> str:
    """How this page writes a default: `value` in code (lists comma-separated), or unset."""
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return f"`{value.get_secret_value()}`"
    if isinstance(value, tuple):
        return "`" + ",".join(value) + "`"
    return f"`{value}`"


def test_every_setting_is_documented_with_its_environment_variable() -> None:
    rows = settings_rows()
    for name in Settings.model_fields:
        assert name in rows, f"docs/settings.md lacks the setting {name}"
        assert rows[name][0] == env_var(name), f"{name} is read from {env_var(name)}"


def test_settings_page_names_only_settings_that_exist() -> None:
    fields = set(Settings.model_fields)
    assert set(settings_rows()) <= fields
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    known = {env_var(name) for name in fields} | {CONFIG_FILE_ENV}
    assert set(ENV_VAR.findall(text)) <= known


def test_documented_defaults_are_the_defaults() -> None:
    rows = settings_rows()
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            continue
        assert rows[name][1][0] == documented_default(field.default), name


def test_settings_toml_example_is_a_valid_configuration() -> None:
    blocks = [m["body"] for m in FENCE.finditer(SETTINGS_DOC.read_text(encoding="utf-8"))]
    examples = [tomllib.loads(b) for b in blocks if b.lstrip().startswith("#")]
    assert examples, "docs/settings.md has no TOML example"
    for example in examples:
        assert set(example) <= set(Settings.model_fields)
        Settings(**example)


def quick_start_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Quick start\n(?P<body>.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Quick start' section"
    return match["body"]


def test_readme_quick_start_is_exactly_the_two_commands() -> None:
    section = quick_start_section()
    commands = [
        line.strip()
        for block in FENCE.finditer(section)
        for line in block["body"].splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands == list(QUICK_START)


def all_commands() -> dict[str, click.Command]:
    """Every `accord …` command, by its full name without the program name."""
    cli._register()
    found: dict[str, click.Command] = {}

    def walk(group: click.Group, prefix: str) -> None:
        for name, command in group.commands.items():
            path = f"{prefix} {name}".strip()
            found[path] = command
            if isinstance(command, click.Group):
                walk(command, path)

    walk(cli.root, "")
    found[""] = cli.root
    return found


def test_operations_guide_describes_every_command() -> None:
    text = OPERATIONS_DOC.read_text(encoding="utf-8")
    for path, command in all_commands().items():
        if isinstance(command, click.Group):
            continue
        assert f"`accord {path}" in text, f"docs/operations.md does not describe accord {path}"


def invocations() -> list[tuple[str, str]]:
    """Every `accord …` command line written in the README and the docs, with its page."""
    found = []
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        for match in INVOCATION.finditer(page.read_text(encoding="utf-8")):
            found.append((page.name, match["args"]))
    return found


def test_every_documented_command_and_option_exists() -> None:
    commands = all_commands()
    root_options = {"--help", "-h", "--version"}
    root_valued = {o for p in cli.root.params if not getattr(p, "is_flag", False) for o in p.opts}
    for page, args in invocations():
        words = args.split()
        while words and words[0].startswith("-"):
            option = words.pop(0).split("=", 1)[0]
            assert option in root_options | root_valued, f"{page}: `accord {args}`: {option}?"
            if option in root_valued and words:
                words.pop(0)
        path = ""
        for word in words:
            if not re.fullmatch(r"[a-z][a-z-]*", word) or f"{path} {word}".strip() not in commands:
                break
            path = f"{path} {word}".strip()
        command = commands.get(path)
        assert command is not None, f"{page}: unknown command `accord {args}`"
        rest = words[len(path.split()) :]
        if isinstance(command, click.Group):
            # Only options or a placeholder (COMMAND) may follow a group's name.
            assert not rest or rest[0][0] in "-…" or rest[0].isupper(), f"{page}: `accord {args}`"
        options = {o for p in command.params for o in [*p.opts, *p.secondary_opts]}
        for word in rest:
            option = word.split("=", 1)[0]
            if option.startswith("--"):
                assert option in options | root_options, f"{page}: `accord {args}`: {option}?"


@pytest.fixture(scope="module")
def api_paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every path of the OpenAPI document, as `create_app` builds it."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("docs-app")))
    return list(app.openapi()["paths"])


def test_documented_api_paths_exist(api_paths: list[str]) -> None:
    # `{param}` in a route matches any one segment; a path ending in / names a prefix.
    patterns = [
        re.compile(re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(path)) + "/?") for path in api_paths
    ]
    # adding-a-feature.md walks through an example feature whose routes do not exist.
    pages = [p for p in [README, *sorted(DOCS.glob("*.md"))] if p.name != "adding-a-feature.md"]
    for page in pages:
        for path in API_PATH.findall(page.read_text(encoding="utf-8")):
            path = path.rstrip(".")
            if path in ("/api/v1", "/api/v1/"):
                continue
            if path.endswith("/"):
                assert any(a.startswith(path) for a in api_paths), f"{page.name}: no {path}…"
            else:
                assert any(p.fullmatch(path) for p in patterns), f"{page.name}: no route {path}"


def test_relative_links_resolve() -> None:
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        for match in LINK.finditer(page.read_text(encoding="utf-8")):
            target = match["target"]
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            file = target.split("#", 1)[0]
            assert (page.parent / file).exists(), f"{page.name}: broken link to {target}"
