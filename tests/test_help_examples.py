"""Every ``Example:`` in every command's --help runs as written, from a fresh folder.

The folder holds only what a fresh checkout gives: ``tests/data/traces``,
``docs/tutorial.trace`` and ``docs/examples``.
``sudo`` examples need root and an unused real zram device: they run only
with the kernel tests (``ZRAMSIM_KERNEL_TESTS=1``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

DATA = Path(__file__).parent / "data" / "traces"
DOCS = Path(__file__).parents[1] / "docs"
EXAMPLE = re.compile(r"^\s*Example: (.*?)(\n\s*\n|\Z)", re.M | re.S)   # to the paragraph's end


def examples() -> list[str]:
    found = []
    for name in [None, *sorted(main.commands)]:
        args = ["--help"] if name is None else [name, "--help"]
        text = CliRunner().invoke(main, args, prog_name="zramsim").stdout
        for match in EXAMPLE.finditer(text):
            assert "\n" not in match.group(1).strip(), f"wrapped: {match.group(1)}"  # copyable
            found.append(re.sub(r"\s+\(.*\)$", "", match.group(1).strip()))
    return found


EXAMPLES = examples()


def test_every_command_has_an_example():
    assert len(EXAMPLES) == len(main.commands) + 1


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_example_runs_as_written(example, tmp_path, monkeypatch):
    words = shlex.split(example)
    if words[0] == "sudo":
        if not os.environ.get("ZRAMSIM_KERNEL_TESTS"):
            pytest.skip("needs root and a real zram device (ZRAMSIM_KERNEL_TESTS=1)")
        words = words[1:]
    assert words[0] == "zramsim"
    shutil.copytree(DATA, tmp_path / "tests" / "data" / "traces")
    shutil.copytree(DOCS / "examples", tmp_path / "docs" / "examples")
    shutil.copy(DOCS / "tutorial.trace", tmp_path / "docs" / "tutorial.trace")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, words[1:], prog_name="zramsim")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_no_command_prints_the_help_and_version_works_from_a_checkout():
    bare = CliRunner().invoke(main, [], prog_name="zramsim")
    assert bare.exit_code == 0 and bare.stdout.startswith("Usage: zramsim [OPTIONS] COMMAND")
    version = CliRunner().invoke(main, ["--version"], prog_name="zramsim")
    assert version.exit_code == 0 and version.stdout.startswith("zramsim, version ")
