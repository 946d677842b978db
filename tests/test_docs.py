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


_TIMING = re.compile(r"\(\d+(?:\.\d+)? s, [\d,]+ articles/s\)")


def _tour_sessions() -> list[tuple[list[str], list[str]]]:
    """(command args, output lines) of each `$ dedup index|query` in the README's tour blocks."""
    tour = README[README.index("## A five-minute tour") : README.index("## Input")]
    sessions: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", tour, re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, *output = chunk.rstrip("\n").split("\n")
            args = command.split("#")[0].split()
            if args[:2] in (["dedup", "index"], ["dedup", "query"]) and output:
                sessions.append((args[1:], output))
    return sessions


def test_readme_tour_output_is_what_the_commands_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tour's shown output is real: the same commands, in order, on a fresh store."""
    sessions = _tour_sessions()
    assert [a[0] for a, _ in sessions] == ["index", "index", "query"], sessions
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    monkeypatch.setenv("DEDUP_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("DEDUP_WORKERS", "1")
    for args, shown in sessions:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        printed = [_TIMING.sub("(…)", line).rstrip() for line in result.stdout.splitlines()]
        expected = [_TIMING.sub("(…)", line).rstrip() for line in shown]
        assert printed == expected, f"README shows for `dedup {' '.join(args)}`:\n" + "\n".join(shown)
