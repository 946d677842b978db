"""The README and the commands stay in step: every `dedup CMD --flag` the README shows exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
# Only command names: prose such as "dedup takes a corpus" is not a use.
USES = sorted(
    {(m.group(1), flag) for m in re.finditer(r"dedup (\w+)([^\n`]*)", README) if m.group(1) in cli.commands
     for flag in re.findall(r"(--[a-z][a-z-]*)", m.group(2))}
)
COMMANDS = sorted({m.group(1) for m in re.finditer(r"\$ dedup (\w+)", README)})


def _help(command: str) -> str:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_commands_exist(command: str) -> None:
    assert "Usage:" in _help(command)


@pytest.mark.parametrize(("command", "flag"), USES)
def test_readme_flags_exist(command: str, flag: str) -> None:
    assert flag in _help(command), f"README shows `dedup {command} {flag}` but --help has no {flag}"


def test_every_command_documented_in_readme() -> None:
    for name in cli.commands:
        assert f"dedup {name}" in README, f"`dedup {name}` is not in the README"
