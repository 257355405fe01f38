"""Every command in docs/tutorial.md runs, and prints exactly what the tutorial shows.

Format: a fenced ```console block whose first line is ``$ zramsim ARGS`` and whose
other lines are the expected output; ```pycon blocks are doctests. Both run from
the repository root, where the tutorial's paths are relative to.
"""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(console|pycon)\n(.*?)^```$", re.S | re.M)


def _blocks(kind: str) -> list[str]:
    return [body for k, body in FENCE.findall(TUTORIAL.read_text()) if k == kind]


CONSOLE = _blocks("console")


def test_tutorial_has_its_blocks():
    assert len(CONSOLE) == 7
    assert len(_blocks("pycon")) == 1
    assert all(b.startswith("$ zramsim ") for b in CONSOLE)


@pytest.mark.parametrize("block", CONSOLE, ids=[b.splitlines()[0][2:] for b in CONSOLE])
def test_console_block_output(block, monkeypatch):
    monkeypatch.chdir(ROOT)
    command, _, expected = block.partition("\n")
    result = CliRunner().invoke(main, shlex.split(command)[2:], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == expected


def test_pycon_blocks(monkeypatch):
    monkeypatch.chdir(ROOT)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for n, body in enumerate(_blocks("pycon")):
        test = parser.get_doctest(body, {}, f"tutorial-{n}", str(TUTORIAL), 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert runner.summarize(verbose=False).attempted == 4
