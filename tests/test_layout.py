"""Imports flow one way: allocator <- zramsim -> workloads.events, and only cli.py uses click."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
OURS = ("allocator", "zramsim", "workloads", "cli")


def imports(path: Path) -> set[str]:
    """Every module name a file imports, at any depth of the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def ours(name: str) -> str | None:
    top = name.split(".")[0]
    return top if top in OURS else None


@pytest.mark.parametrize("path", package_files("allocator"), ids=str)
def test_allocator_imports_nothing_of_ours_and_no_compression(path):
    for name in imports(path):
        assert ours(name) in (None, "allocator"), f"{path.name} imports {name}"
        assert name.split(".")[0] not in ("lz4", "zstandard", "click"), f"{path.name}: {name}"


@pytest.mark.parametrize("path", package_files("workloads"), ids=str)
def test_workloads_import_nothing_of_ours(path):
    for name in imports(path):
        assert ours(name) in (None, "workloads"), f"{path.name} imports {name}"
        assert name.split(".")[0] != "click", f"{path.name} imports click"


ENTRY_POINT = ROOT / "zramsim" / "__main__.py"   # `python -m zramsim`, the script: to cli.py


@pytest.mark.parametrize("path", package_files("zramsim"), ids=str)
def test_zramsim_uses_the_allocator_and_only_the_event_record(path):
    for name in imports(path):
        top = ours(name)
        if path == ENTRY_POINT and name == "cli":
            continue
        assert top in (None, "allocator", "zramsim", "workloads"), f"{path.name}: {name}"
        if top == "workloads":
            assert name == "workloads.events", f"{path.name} imports {name}"
        assert name.split(".")[0] != "click", f"{path.name} imports click"


def test_the_entry_point_only_starts_a_reader_helper_and_hands_over_to_cli():
    assert imports(ENTRY_POINT) == {"cli", "sys", "zramsim.reader_start"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycles_between_our_modules():
    """A cycle (compressors <-> lz4_kernel was one) makes import order matter; a
    package's __init__ importing its own modules is not a cycle of modules."""
    files = [p for pkg in ("allocator", "zramsim", "workloads") for p in package_files(pkg)]
    names = {_module_name(p): p for p in files}
    graph = {name: {m for m in imports(path) if m in names and not path.name == "__init__.py"
                    and not names[m].name == "__init__.py"}
             for name, path in names.items()}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, " -> ".join(trail[trail.index(name):] + (name,))
        if name in done:
            return
        for other in sorted(graph[name]):
            visit(other, trail + (name,))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())
