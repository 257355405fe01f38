"""The device a command line describes: options merged with a zram-generator.conf.

Expected values are worked by hand: ``zram-size = ram / 2`` at 1 GiB of RAM is
512 MiB; the kernel keeps a size rounded up to whole pages.
"""

from __future__ import annotations

from zramsim.device_options import DEVICE_OPTIONS, device_maker, from_generator

MIB = 1 << 20
NONE_GIVEN = dict.fromkeys(DEVICE_OPTIONS)


def conf(tmp_path, text: str) -> str:
    path = tmp_path / "zram-generator.conf"
    path.write_text(text)
    return str(path)


def test_the_command_line_wins_over_the_configuration(tmp_path):
    # The module docstring's example: the configuration says zstd and half the RAM.
    path = conf(tmp_path, "[zram0]\nzram-size = ram / 2\ncompression-algorithm = zstd\n")
    options = {**NONE_GIVEN, "algorithm": "lz4", "chain_size": 8, "chain_rule": "min-waste"}
    merged, generated, warnings = from_generator(options, [path], 1024 * MIB, "zram0",
                                                 lambda key: key == "algorithm")
    assert merged["algorithm"] == "lz4" and merged["disksize"] == 512 * MIB
    assert merged["mem_limit"] == 0 and merged["level"] is None
    assert generated["algorithm"] == "zstd" and warnings == []
    assert options["algorithm"] == "lz4" and options["disksize"] is None   # not changed


def test_a_dict_parameter_becomes_a_path_read_when_the_device_is_made(tmp_path):
    dictionary = tmp_path / "d.bin"
    dictionary.write_bytes(b"zram" * 64)
    path = conf(tmp_path, "[zram0]\nzram-size = 16\ncompression-algorithm = "
                          f"zstd(level=5,dict={dictionary})\n")
    merged, _, _ = from_generator({**NONE_GIVEN, "chain_size": 8, "chain_rule": "min-waste"},
                                  [path], 1024 * MIB, "zram0", lambda key: False)
    assert (merged["dictionary"], merged["level"], merged["disksize"]) == \
        (str(dictionary), 5, 16 * MIB)
    assert device_maker(merged, 4096)().config()["params"] == {"level": 5, "dict_bytes": 256}


def test_the_page_size_falls_back_to_the_trace_and_each_device_is_fresh():
    make = device_maker({"algorithm": "lz4", "page_size": None}, 16384, verify=True)
    first, second = make(), make()
    assert first is not second and first.page_size == second.page_size == 16384
    first.write(0, bytes(range(256)) * 64)
    assert first.stats().mm_stat.orig_data_size == 16384
    assert second.stats().mm_stat.orig_data_size == 0
    assert device_maker({"page_size": 4096}, 16384)().page_size == 4096
