"""The teaching commands as a user runs them: JSON output, images, errors and exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parent.parent


def _run(*args):
    return CliRunner().invoke(main, list(args))


def test_explain_json_agrees_with_text():
    doc = json.loads(_run("explain", "1560", "--format", "json", "--count", "13").stdout)
    assert (doc["class_index"], doc["class_size"], doc["pages_per_zspage"],
            doc["objs_per_zspage"], doc["pages"], doc["single_pages"]) == (96, 1568, 5, 13, 5, 7)
    assert doc["chain"][4] == {"pages": 5, "objs": 13, "waste": 96, "used_percent": 99}
    legacy = json.loads(_run("explain", "1560", "--chain-size", "4", "--chain-rule",
                             "used-percent", "--format", "json").stdout)
    assert (legacy["class_size"], legacy["pages_per_zspage"]) == (1632, 2)


def test_explain_refuses_oversized_objects():
    result = _run("explain", "5000")
    assert result.exit_code == 2                          # a bad value for SIZE
    assert "an object is 1 to 4096 bytes, not 5000" in result.stderr


def test_quiz_answers_only_with_c_and_kinds():
    plain = _run("quiz", "--seed", "3").stdout
    answered = _run("quiz", "--seed", "3", "-c").stdout
    assert "Answer:" not in plain and answered.count("Answer:") == 4
    only = _run("quiz", "-s", "3", "-n", "2", "--kind", "compact").stdout
    assert only.count("(compact)") == 2


def test_compare_json_rows(monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = json.loads(_run("compare", "docs/tutorial.trace", "--format", "json").stdout)
    assert [(r["name"], r["total_pages"], r["max_pages"], r["rejected"]) for r in doc["rows"]] \
        == [("zsmalloc", 4, 7, 0), ("single-page", 2, 5, 0), ("zbud", 2, 6, 1),
            ("z3fold", 2, 5, 0)]
    one = json.loads(_run("compare", "docs/tutorial.trace", "--allocator", "zbud",
                          "--format", "json").stdout)
    assert [r["name"] for r in one["rows"]] == ["zbud"]
    bad = _run("compare", "docs/tutorial.trace", "--allocator", "slab")
    assert bad.exit_code == 2 and "'slab' is not one of 'zsmalloc'" in bad.stderr


def test_zspages_svg_and_usage_errors(tmp_path):
    svg = tmp_path / "map.svg"
    result = _run("zspages", "--size", "1560", "--count", "14", "--svg", str(svg))
    assert result.exit_code == 0
    assert "zspage 2: 5 frames, 1/13 objects, group 10%" in result.stdout
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert _run("zspages").exit_code == 2
    assert _run("zspages", "--size", "100", "--free", "5").exit_code == 2
    assert _run("zspages", "--size", "5000").exit_code == 2
