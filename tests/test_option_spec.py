"""Options declared as data (zramsim.option_spec) become the click options cli.py shows.

Each test builds a one-option command through cli's translator and drives it
as a user would: the value it receives, click's own refusal (exit 2), the help.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path as FilePath

import click
import pytest
from click.testing import CliRunner

from cli import SIZE, options, to_click
from zramsim.option_spec import SIZE as SIZE_KIND
from zramsim.option_spec import FLAG, Choices, File, Flag, ListOf, Option, Path, Range, one_of
from zramsim.pressure.options import algorithm_list
from zramsim.size_parse import parse_size
from zramsim.sweep.options import chain_size, level

ROOT = FilePath(__file__).parents[1]


def run(specs, args):
    """Invoke a command with ``specs``; (exit code, what it received or the output)."""
    received = {}

    @click.command()
    @options(*specs)
    def probe(**kwargs):
        received.update(kwargs)

    result = CliRunner().invoke(probe, args)
    return result.exit_code, received if result.exit_code == 0 else result.output


def test_a_range_maps_to_click_range_and_refuses_a_value_outside_it():
    option = to_click(Option("--chain-size", Range(int, 4, 16), 8, "Pages per zspage."))(
        lambda **_: None).__click_params__[0]
    assert (option.opts, option.name, option.default, option.help) == (
        ["--chain-size"], "chain_size", 8, "Pages per zspage.")
    assert isinstance(option.type, click.IntRange)
    assert (option.type.min, option.type.max) == (4, 16)
    spec = [Option("--chain-size", Range(int, 4, 16), 8)]
    assert run(spec, []) == (0, {"chain_size": 8})
    assert run(spec, ["--chain-size", "16"]) == (0, {"chain_size": 16})
    code, output = run(spec, ["--chain-size", "17"])
    assert code == 2
    assert "Invalid value for '--chain-size': 17 is not in the range 4<=x<=16." in output


def test_a_float_range_with_one_bound():
    spec = [Option("--zipf-s", Range(float, 0))]
    assert run(spec, ["--zipf-s", "1.5"]) == (0, {"zipf_s": 1.5})
    assert run(spec, []) == (0, {"zipf_s": None})
    code, output = run(spec, ["--zipf-s", "-0.5"])
    assert code == 2 and "-0.5 is not in the range x>=0." in output


def test_decls_name_the_flags_then_the_receiving_name():
    option = to_click(Option("-o --plot plot_path", Path(file_only=True)))(
        lambda **_: None).__click_params__[0]
    assert (option.opts, option.name) == (["-o", "--plot"], "plot_path")
    assert isinstance(option.type, click.Path)
    assert (option.type.dir_okay, option.type.allow_dash) == (False, False)


def test_a_flag_is_false_when_absent_and_a_flag_value_fills_another_option():
    spec = [Option("-o --output output", str, None, metavar="LIST"),
            Option("--output-all output", Flag("ALL")), Option("--raw", FLAG)]
    assert run(spec, []) == (0, {"output": None, "raw": False})
    assert run(spec, ["--raw", "-o", "NAME"]) == (0, {"output": "NAME", "raw": True})
    assert run(spec, ["--output-all"]) == (0, {"output": "ALL", "raw": False})


def test_multiple_choices_keep_their_order_and_refuse_others():
    spec = [Option("--kind kinds", Choices(("class", "pages")), multiple=True)]
    assert run(spec, ["--kind", "pages", "--kind", "class"]) == (0, {"kinds": ("pages", "class")})
    assert run(spec, []) == (0, {"kinds": ()})
    code, output = run(spec, ["--kind", "zspage"])
    assert code == 2 and "'zspage' is not one of 'class', 'pages'." in output


def test_a_size_is_parsed_as_util_linux_parses_it():
    spec = [Option("--mem-limit", SIZE_KIND, 0)]
    assert to_click(spec[0])(lambda **_: None).__click_params__[0].type is SIZE
    assert run(spec, []) == (0, {"mem_limit": 0})
    assert run(spec, ["--mem-limit", "64K"]) == (0, {"mem_limit": 65536})
    assert run(spec, ["--mem-limit", "1.5M"]) == (0, {"mem_limit": 1572864})
    assert run(spec, ["--mem-limit", "12Q"])[0] == 2


def test_parse_turns_the_value_and_leaves_an_absent_one_alone():
    spec = [Option("--page-size", Choices(("4096", "16384")), None, parse=int)]
    assert run(spec, ["--page-size", "16384"]) == (0, {"page_size": 16384})
    assert run(spec, []) == (0, {"page_size": None})


def test_a_parse_error_is_a_usage_error_in_the_librarys_words():
    spec = [Option("--algo algorithms", str, "lz4,zstd", parse=algorithm_list)]
    assert run(spec, []) == (0, {"algorithms": ["lz4", "zstd"]})
    code, output = run(spec, ["--algo", "lz4,gzip"])
    assert code == 2
    assert ("Invalid value for '--algo': 'gzip' is not one of 'deflate', 'lz4', "
            "'lz4-kernel', 'lz4hc', 'lzo', 'lzo-rle', 'zstd'.") in output


def test_algorithm_list_keeps_order_and_refuses_an_empty_list():
    assert algorithm_list(" zstd, lz4 ") == ["zstd", "lz4"]
    with pytest.raises(ValueError, match=r"^',' is not one of 'deflate'"):
        algorithm_list(",")


def test_a_list_goes_through_the_grid_parser_named_or_a_function():
    policies = [Option("--policy", ListOf(one_of("lru", "clock")), "lru")]
    assert run(policies, []) == (0, {"policy": ["lru"]})
    assert run(policies, ["--policy", "clock, lru,clock"]) == (0, {"policy": ["clock", "lru"]})
    code, output = run(policies, ["--policy", "fifo"])
    assert code == 2 and "'fifo' is not one of lru, clock" in output
    code, output = run(policies, ["--policy", ",,"])
    assert code == 2 and "',,' is an empty list" in output
    code, output = run(policies, ["--policy", ""])          # once an IndexError traceback
    assert code == 2 and "'' is an empty list" in output
    levels = [Option("--level", ListOf(level), None)]
    assert run(levels, []) == (0, {"level": None})          # not given: the default
    assert ListOf(parse_size).parse("0,64K,64M") == [0, 65536, 67108864]
    assert ListOf(chain_size).parse("4,8") == [4, 8]


def test_a_list_shows_as_LIST_and_a_file_is_opened(tmp_path):
    @click.command()
    @options(Option("--tiers", ListOf(one_of("none")), "none", "Behind zram."),
             Option("--dict dictionary", File("rb")))
    def probe(tiers, dictionary):
        click.echo(f"{tiers} {dictionary.read()!r}")

    help_text = CliRunner().invoke(probe, ["--help"]).output
    assert "--tiers LIST" in help_text and "--dict FILENAME" in help_text
    (tmp_path / "d.bin").write_bytes(b"\x01\x02")
    result = CliRunner().invoke(probe, ["--dict", str(tmp_path / "d.bin")])
    assert result.output == "['none'] b'\\x01\\x02'\n"


def test_options_keep_the_order_given_data_and_click_decorators_alike():
    @click.command()
    @options(Option("--b"), click.option("--a"), Option("--c", int, 3))
    def probe(a, b, c):
        pass

    assert [p.name for p in probe.params] == ["b", "a", "c"]


def test_starting_the_command_line_does_not_load_the_sweep_engine():
    """sweep's options are read at start-up; its package imports the engine (SQLite,
    process pools) only when a part of it is first used."""
    code = ("import sys, cli, zramsim.sweep as s; before = 'zramsim.sweep.engine' in sys.modules;"
            " s.Sweep; print(before, 'zramsim.sweep.engine' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out == "False True\n"


def test_the_sweep_package_names_only_its_parts():
    import zramsim.sweep as sweep
    from zramsim.sweep.store import Store
    assert sweep.Store is Store
    with pytest.raises(AttributeError, match="has no attribute 'Engine'"):
        sweep.Engine


def _declared():
    from zramsim import device_options, kernel_diff_options, replay_run, zramctl
    from zramsim.pressure import options as pressure
    from zramsim.sweep import options as sweep
    from zramsim.teach import options as teach
    run_options = (replay_run.VERIFY, replay_run.EXPLAIN, replay_run.WORKERS, replay_run.STRICT)
    return [("replay", device_options.DEVICE + zramctl.OPTIONS + device_options.GENERATOR
             + run_options),
            ("report", device_options.DEVICE + device_options.GENERATOR),
            ("classes", device_options.DEVICE),
            ("explain", device_options.GEOMETRY + teach.EXPLAIN),
            ("quiz", teach.QUIZ), ("compare", teach.COMPARE),
            ("zspages", teach.ZSPAGES + teach.MAP + device_options.GEOMETRY),
            ("sweep", sweep.GRID + sweep.ENGINE + sweep.REPORT),
            ("kernel-diff", kernel_diff_options.OPTIONS),
            ("pressure", (pressure.TRACE,) + pressure.CONTENTS + pressure.ACCESSES + pressure.MODEL
             + pressure.OUTPUTS + (device_options.CONFIGS, device_options.ZRAM_DEVICE))]


@pytest.mark.parametrize("command, declared", _declared(),
                         ids=lambda x: x if isinstance(x, str) else "")
def test_each_command_takes_the_options_its_library_declares(command, declared):
    """The command's option with those flags has the declared help and default."""
    from cli import main
    params = {tuple(p.opts): p for p in main.commands[command].params}
    for option in declared:
        flags = tuple(f for f in option.decls.split() if f.startswith("-"))
        param = params[flags]
        assert param.help == option.help, flags
        if option.default is not None:
            assert param.default == option.default, flags
