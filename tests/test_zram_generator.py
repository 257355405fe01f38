"""zram-generator.conf read as the generator reads it.

Expected values come from the generator's man page (zram-generator.conf(5): the
default curve and the piecewise-linear example, read off its figures), from its
own documented test cases (500k, 32G, 0.5 * ram, the obsolete options), and from
arithmetic done by hand in the comments; none is pasted from our output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from zramsim.zram_generator import (GeneratorConfigError, device_settings, kernel_page_align,
                                    read_device, read_devices, settings_by_ram)
from zramsim.zram_generator.expression import ExpressionError, evaluate

MIB, GIB = 1 << 20, 1 << 30
PIECEWISE = "min(min(ram, 4096) + max(ram - 4096, 0) / 2, 32 * 1024)"


def conf(tmp_path: Path, text: str, name: str = "zram-generator.conf") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def disksize(tmp_path, body: str, ram: int) -> int:
    device, _ = read_device([conf(tmp_path, "[zram0]\n" + body)], ram)
    return device.disksize


# --- the man page's worked examples -------------------------------------------------------

@pytest.mark.parametrize("ram, mib", [(1 * GIB, 512), (2 * GIB, 1024), (4 * GIB, 2048),
                                      (8 * GIB, 4096), (16 * GIB, 4096), (64 * GIB, 4096)])
def test_the_default_size_is_half_the_ram_up_to_4g(tmp_path, ram, mib):
    # The man page's figure: 512M at 1G of RAM, rising to 4G at 8G, flat after.
    assert disksize(tmp_path, "", ram) == mib * MIB


@pytest.mark.parametrize("ram_gib, size_gib", [(1, 1), (4, 4), (8, 6), (12, 8), (56, 30),
                                               (60, 32), (64, 32)])
def test_the_piecewise_linear_example(tmp_path, ram_gib, size_gib):
    # 1:1 for the first 4G, 1:2 above, capped at 32G: at 56G, 4 + 52/2 = 30G.
    assert disksize(tmp_path, f"zram-size = {PIECEWISE}\n", ram_gib * GIB) == size_gib * GIB


@pytest.mark.parametrize("expression, ram_mib, mib", [
    ("0.5 * ram", 100, 50),
    ("500", 5000, 500),
    ("500k", 5000, 500 * 1000),            # SI suffixes are powers of 1000
    ("32G", 5000, 32 * 10**9),
    ("min(0.5 * ram, 4000)", 3000, 1500),
])
def test_the_generators_own_size_cases(tmp_path, expression, ram_mib, mib):
    assert disksize(tmp_path, f"zram-size = {expression}\n", ram_mib * MIB) == mib * MIB


def test_a_size_is_cut_to_whole_bytes_then_the_kernel_rounds_it_up_to_pages(tmp_path):
    # 0.001 MiB = 1048.576 bytes: the generator writes 1048, the kernel keeps 4096.
    size = disksize(tmp_path, "zram-size = 0.001\n", GIB)
    assert size == 1048
    assert kernel_page_align(size) == 4096


def test_ram_is_memtotal_in_whole_mib(tmp_path):
    # MemTotal 1,073,741,823 bytes is 1023 MiB and a bit: ram = 1023, half is 511.5 MiB.
    assert disksize(tmp_path, "", GIB - 1) == int(511.5 * MIB)


# --- the expression language ----------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("2 * 7 % 4", 6.0),       # % collapses before *: 2 * (7 % 4)
    ("7 % 4 * 2", 6.0),
    ("2 ^ 3 ^ 2", 512.0),     # right to left
    ("-2 ^ 2", 4.0),          # the sign belongs to the number
    ("10 - 2 - 3", 5.0),
    ("8 / 2 / 2", 2.0),
    ("round(2.5)", 3.0), ("round(-2.5)", -3.0),     # halves away from zero
    ("round(0.001, 1.23456)", 1.235),
    ("int(-2.7)", -2.0), ("ceil(1.2)", 2.0), ("floor(-1.2)", -2.0), ("abs(-3)", 3.0),
    ("log(100)", 2.0), ("log(2, 8)", 3.0),
    ("max(1, -2, 3, -4)", 3.0), ("min(1, -2, 3, -4)", -4.0),
    ("[3 * (3 - 3) / 3]", 0.0),
    ("1 and 2", 2.0), ("2 or 0", 2.0), ("2 < 3", 1.0), ("3 <= 2", 0.0),
    ("1.5k", 1500.0), ("2M", 2e6), ("1e3", 1000.0), (".5", 0.5),
])
def test_expression_values_worked_by_hand(text, value):
    assert evaluate(text, {}) == pytest.approx(value)


@pytest.mark.parametrize("text", ["ram +", "array(1, 2)", "e", "(1", "2e", "min()", "foo"])
def test_expression_errors(text):
    with pytest.raises(ExpressionError):
        evaluate(text, {"ram": 1.0})


# --- each option ---------------------------------------------------------------------------

def test_host_memory_limit_is_compared_in_mib(tmp_path):
    path = conf(tmp_path, "[zram0]\nhost-memory-limit = 2050\n")
    at_limit, _ = read_device([path], 2050 * MIB)
    above, _ = read_device([path], 2051 * MIB)
    assert at_limit.created and at_limit.disksize == 1025 * MIB
    assert not above.created and "2051 MiB of RAM is above host-memory-limit = 2050" in \
        above.reason


def test_memory_limit_is_the_old_name_and_none_lifts_it(tmp_path):
    old = conf(tmp_path, "[zram0]\nmemory-limit = 1000\n")
    assert not read_device([old], 2 * GIB)[0].created
    lifted = conf(tmp_path, "[zram0]\nmemory-limit = 1000\n[zram0]\nhost-memory-limit = none\n",
                  "lifted.conf")
    assert read_device([lifted], 2 * GIB)[0].created


def test_resident_limit_becomes_mem_limit(tmp_path):
    device, _ = read_device([conf(tmp_path, "[zram0]\nzram-resident-limit = ram / 8\n")],
                            16 * GIB)
    assert device.mem_limit == 2 * GIB and device.disksize == 4 * GIB


def test_compression_algorithm_with_parameters_and_recompression(tmp_path):
    device, _ = read_device([conf(tmp_path, "[zram0]\ncompression-algorithm = "
                                  "zstd(level=5,dict=/dev/null) lz4hc lzo (type=idle)\n")], GIB)
    assert (device.algorithm, device.algorithm_params) == ("zstd", "level=5 dict=/dev/null")
    assert device.recompression == (("lz4hc", ""), ("lzo", ""))
    assert device.recompress_params == "type=idle"
    assert device.sysfs_writes() == [
        ("comp_algorithm", "zstd"), ("algorithm_params", "algo=zstd level=5 dict=/dev/null"),
        ("recomp_algorithm", "algo=lz4hc priority=1"), ("recomp_algorithm", "algo=lzo priority=2"),
        ("mem_limit", "0"), ("disksize", str(512 * MIB))]


def test_no_algorithm_means_the_kernels_default(tmp_path):
    device, _ = read_device([conf(tmp_path, "[zram0]\n")], GIB)
    assert device.algorithm is None and device.primary_algorithm == "lzo-rle"
    assert device.sysfs_writes() == [("mem_limit", "0"), ("disksize", str(512 * MIB))]


def test_obsolete_fraction_and_max_size(tmp_path):
    # The generator's own cases: fraction 0.1 capped at 2048 MiB; uncapped with 'none'.
    path = conf(tmp_path, "[zram0]\nzram-fraction = 0.1\nmax-zram-size = 2048\n"
                          "[zram1]\nzram-fraction = 0.1\nmax-zram-size = none\n"
                          "[zram2]\nzram-fraction = 0.1\nzram-size = 1\n")
    devices, _ = read_devices([path], 100_000 * MIB)
    assert devices["zram0"].disksize == 2048 * MIB
    assert devices["zram1"].disksize == 10_000 * MIB
    assert devices["zram2"].disksize == 10_000 * MIB      # the obsolete option wins


def test_options_that_only_ride_along_are_reported(tmp_path):
    device, _ = read_device([conf(tmp_path, "[zram0]\nswap-priority = -1\nfs-type = ext4\n"
                                  "mount-point = /var/./compressed\noptions = discard,casefold\n"
                                  "writeback-device = /dev/vdb1\n")], GIB)
    assert (device.swap_priority, device.fs_type, device.mount_point, device.options) == \
        (-1, "ext4", "/var/compressed", "discard,casefold")
    assert ("backing_dev", "/dev/vdb1") in device.sysfs_writes()
    default, _ = read_device([conf(tmp_path, "[zram0]\nmount-point = /tmp\n", "m.conf")], GIB)
    assert (default.fs_type, default.swap_priority, default.options) == ("ext2", 100, "discard")


def test_a_size_of_zero_creates_no_device(tmp_path):
    device, _ = read_device([conf(tmp_path, "[zram0]\nzram-size = 0\n")], GIB)
    assert not device.created and "0 bytes" in device.reason


def test_unknown_keys_and_sections_are_warned_about(tmp_path):
    _, warnings = read_devices([conf(tmp_path, "set!x = echo 1\n[zram0]\ncolour = blue\n"
                                     "[swap]\n")], GIB)
    assert any("runs a program" in w for w in warnings)
    assert any("unknown option 'colour'" in w for w in warnings)
    assert any("[swap] is not a zram device" in w for w in warnings)


# --- precedence of files -------------------------------------------------------------------

def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_drop_ins_in_name_order_across_folders_after_one_main_file(tmp_path):
    write(tmp_path, "usr/lib/systemd/zram-generator.conf", "[zram0]\nzram-size = 1\n"
                                                          "swap-priority = 7\n")
    write(tmp_path, "etc/systemd/zram-generator.conf", "[zram0]\nzram-size = 2\n")
    write(tmp_path, "usr/lib/systemd/zram-generator.conf.d/10-vendor.conf",
          "[zram0]\nzram-size = 10\nfs-type = ext4\n")
    write(tmp_path, "etc/systemd/zram-generator.conf.d/05-local.conf", "[zram0]\nzram-size = 5\n")
    write(tmp_path, "usr/lib/systemd/zram-generator.conf.d/20-vendor.conf",
          "[zram0]\noptions = vendor\n")
    write(tmp_path, "etc/systemd/zram-generator.conf.d/20-vendor.conf", "[zram0]\noptions = local\n")
    device, _ = read_device([str(tmp_path)], GIB)
    # Only the /etc main file is read (swap-priority 7 of /usr/lib is not), then 05, 10, 20;
    # 10-vendor sorts after 05-local, so it sets the size; /etc's 20-vendor replaces /usr/lib's.
    assert device.disksize == 10 * MIB
    assert (device.swap_priority, device.fs_type, device.options) == (100, "ext4", "local")
    assert device.origin["zram-size"].endswith("10-vendor.conf:2")


def test_a_drop_in_linked_to_dev_null_is_masked(tmp_path):
    write(tmp_path, "usr/lib/systemd/zram-generator.conf.d/10-vendor.conf",
          "[zram0]\nzram-size = 10\n")
    masked = tmp_path / "etc/systemd/zram-generator.conf.d/10-vendor.conf"
    masked.parent.mkdir(parents=True)
    os.symlink("/dev/null", masked)
    devices, _ = read_devices([str(tmp_path)], GIB)
    assert devices == {}


def test_a_configuration_folder_and_repeated_files(tmp_path):
    write(tmp_path, "conf/zram-generator.conf", "[zram0]\nzram-size = 1\n")
    write(tmp_path, "conf/zram-generator.conf.d/50-more.conf", "[zram0]\nzram-size = 3\n")
    write(tmp_path, "later.conf", "[zram0]\nzram-resident-limit = 2\n")
    device, _ = read_device([str(tmp_path / "conf"), str(tmp_path / "later.conf")], GIB)
    assert (device.disksize, device.mem_limit) == (3 * MIB, 2 * MIB)


# --- bad configurations: one clear error naming the file and line ---------------------------

@pytest.mark.parametrize("body, line, words", [
    ("[zram0]\nzram-size\n", 2, "expected 'key = value'"),
    ("[zram0\n", 1, "bad section header"),
    ("[zram0]\n\ncompression-algorithm = zippy\n", 3, "'zippy' is not a zram algorithm"),
    ("[zram0]\nzram-size = ram / 0 - ram / 0\n", 2, "NaN"),
    ("[zram0]\nzram-size = ram / 0\n", 2, "infinite"),
    ("[zram0]\nzram-size = 100 - ram\n", 2, "must be 0 or more"),
    ("[zram0]\nzram-resident-limit = -ram\n", 2, "must be 0 or more"),
    ("[zram0]\nzram-size = ram * two\n", 2, "undefined variable 'two'"),
    ("[zram0]\nhost-memory-limit = lots\n", 2, "not a whole number of MiB"),
    ("[zram0]\nswap-priority = 40000\n", 2, "from -1 to 32767"),
    ("[zram0]\nwriteback-device = vdb1\n", 2, "not an absolute path"),
    ("[zram0]\nzram-fraction = -0.5\n", 2, "negative"),
    ("[zram0]\ncompression-algorithm = zstd(level)\n", 2, "needs a value"),
    ("[zram0]\ncompression-algorithm = lz4 lz4hc zstd deflate lzo\n", 2, "at most 3"),
])
def test_bad_configurations_name_file_and_line(tmp_path, body, line, words):
    path = conf(tmp_path, body)
    with pytest.raises(GeneratorConfigError) as caught:
        read_devices([path], GIB)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert words in str(caught.value)


def test_an_algorithm_zramsim_lacks_is_refused_where_it_was_named(tmp_path):
    device, _ = read_device([conf(tmp_path, "[zram0]\ncompression-algorithm = 842\n")], GIB)
    with pytest.raises(GeneratorConfigError, match=r"zram-generator.conf:2: zramsim cannot "
                                                   r"simulate '842'"):
        device_settings(device, ["lz4", "zstd"])


# --- the command line ----------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(main, list(args))


def test_replay_json_carries_the_configured_disksize_and_mem_limit(tmp_path):
    path = conf(tmp_path, "[zram0]\nzram-size = ram / 4\nzram-resident-limit = 0.001\n"
                          "compression-algorithm = zstd(level=1)\n")
    result = run("replay", "-q", "--config", path, "--ram", "1G", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["config"]["disksize"] == 256 * MIB
    assert doc["mm_stat"]["mem_limit"] == 4096          # 1048 bytes, rounded up to a page
    assert (doc["config"]["algorithm"], doc["config"]["params"]) == ("zstd", {"level": 1, "dict_bytes": 0})
    assert doc["config"]["zram_generator"]["ram_mib"] == 1024


def test_the_command_line_overrides_the_configuration(tmp_path):
    path = conf(tmp_path, "[zram0]\nzram-size = 4096\ncompression-algorithm = zstd\n")
    result = run("replay", "-q", "--config", path, "--ram", "1G", "--disksize", "32M",
                 "--algo", "lz4", "--format", "json")
    doc = json.loads(result.stdout)
    assert (doc["config"]["disksize"], doc["config"]["algorithm"]) == (32 * MIB, "lz4")


def test_replay_without_the_device_says_why(tmp_path):
    path = conf(tmp_path, "[zram0]\nhost-memory-limit = 512\n")
    result = run("replay", "-q", "--config", path, "--ram", "1G")
    assert result.exit_code == 1
    assert "no device is created: 1024 MiB of RAM is above host-memory-limit = 512 MiB" in \
        result.output
    missing = run("replay", "-q", "--config", path, "--ram", "256M", "--device", "zram3")
    assert missing.exit_code == 1 and "no [zram3] section (devices configured: zram0)" in \
        missing.output


def test_a_bad_configuration_is_one_error_line_and_exit_1(tmp_path):
    path = conf(tmp_path, "[zram0]\nzram-size = ram / (ram - ram)\n")
    result = run("replay", "-q", "--config", path, "--ram", "1G")
    assert result.exit_code == 1
    assert result.output == f"Error: {path}:2: 'ram / (ram - ram)' comes out as infinite " \
                            "(a division by 0?)\n"


def test_config_command_prints_each_device_in_sysfs_terms(tmp_path):
    path = conf(tmp_path, "[zram0]\nzram-size = ram / 4\ncompression-algorithm = zstd lz4hc\n"
                          "[zram1]\nhost-memory-limit = 1024\n")
    result = run("config", path, "--ram", "16G")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "zram0: created (ram = 16384 MiB)"
    assert lines[1].split()[:2] == ["comp_algorithm", "zstd"]
    assert lines[2].split()[:3] == ["recomp_algorithm", "algo=lz4hc", "priority=1"]
    assert lines[4].split()[:3] == ["disksize", "4294967296", "(4G)"]
    assert "zram1: not created: 16384 MiB of RAM is above host-memory-limit = 1024 MiB" in lines
    doc = json.loads(run("config", path, "--ram", "16G", "--format", "json").stdout)
    assert [d["name"] for d in doc["devices"]] == ["zram0", "zram1"]
    assert doc["devices"][0]["sysfs"][-1] == {"attribute": "disksize", "value": "4294967296"}


def test_pressure_sizes_the_device_from_each_ram_size(tmp_path):
    path = conf(tmp_path, "[zram0]\nzram-size = ram * 2\nzram-resident-limit = ram / 4\n"
                          "compression-algorithm = zstd\n")
    at = settings_by_ram([path], "zram0", ["zstd"])
    # 1024 frames of 4 KiB = 4 MiB of RAM: disksize 8 MiB, mem_limit 1 MiB.
    assert at(1024) == {"disksize": 8 * MIB, "mem_limit": MIB, "algorithm": "zstd", "level": None}
    assert at(2048)["disksize"] == 16 * MIB
    result = run("pressure", "--pages", "512", "--accesses", "2000", "--ram", "50%,100%",
                 "--config", path, "--no-baselines", "--format", "json")
    assert result.exit_code == 0, result.output
    labels = {s["label"] for s in json.loads(result.output)["summaries"]}
    assert labels == {"zram-zstd"}
