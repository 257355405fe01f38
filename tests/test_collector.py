"""The cycle collector: paced during a replay and restored after; skipped at exit."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

import cli
from zramsim.collector import YOUNG_OBJECTS, fewer_collections


def test_the_threshold_is_raised_inside_and_restored_after_even_on_an_error():
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (max(YOUNG_OBJECTS, before[0]), *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(KeyError):
        with fewer_collections(young=5000):
            assert gc.get_threshold()[0] == max(5000, before[0])
            raise KeyError("x")
    assert gc.get_threshold() == before


def test_a_higher_threshold_already_set_is_kept():
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == 50_000
    finally:
        gc.set_threshold(*before)


EXIT_PROBE = """
import sys
sys.path.insert(0, {root!r})
from zramsim.collector import no_collection_at_exit
if {skip}:
    no_collection_at_exit()
class Held:
    def __del__(self):
        print("freed by the closing pass", flush=True)
held = Held()
held.me = held          # a cycle: only the collector frees it
del held
"""


@pytest.mark.parametrize("skip", [False, True])
def test_the_closing_pass_is_skipped_only_when_asked(skip):
    """Without the call the interpreter's last pass frees a cycle at exit; with it,
    nothing is walked or freed and the process still exits 0."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", EXIT_PROBE.format(root=root, skip=skip)],
                          capture_output=True, text=True, check=True)
    assert done.stdout == ("" if skip else "freed by the closing pass\n")


def test_the_command_line_skips_it_for_its_own_process_only(monkeypatch):
    """A test's call (CliRunner passes its arguments) leaves the collector alone; the
    process's own command line (no arguments given) asks for the skip."""
    asked = []
    monkeypatch.setattr(cli, "no_collection_at_exit", lambda: asked.append(True))
    assert CliRunner().invoke(cli.main, ["classes"]).exit_code == 0
    assert asked == []
    monkeypatch.setattr(sys, "argv", ["zramsim", "classes"])
    with pytest.raises(SystemExit) as stop:
        cli.main.main(prog_name="zramsim")
    assert stop.value.code == 0 and asked == [True]
