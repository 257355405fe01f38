"""zram-generator.conf files: sections of ``key = value`` lines, each remembered with its line.

The syntax is the one zram-generator's INI reader accepts: ``[section]`` headers,
``key = value`` (or ``key: value``) lines, whole-line comments starting with
``#`` or ``;``, blank lines, and values optionally wrapped in double or single
quotes. Every value keeps the file and line it came from, so that a bad value
found later (an expression that divides by zero, an unknown algorithm) is
reported where the user wrote it: ``/etc/systemd/zram-generator.conf:4: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zramsim.errors import DeviceError

MAX_CONFIG_BYTES = 1 << 20        # a configuration file is a few lines; refuse a huge one


class GeneratorConfigError(DeviceError):
    """A zram-generator configuration that cannot be used: ``file:line: reason``.

    A domain error (exit 1), like a malformed trace: the file is wrong, not an option."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Setting:
    """One ``key = value`` line and where it was written."""

    value: str
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def error(self, reason: str) -> GeneratorConfigError:
        return GeneratorConfigError(self.path, self.line, reason)


# section name ("" for the lines before any header) -> key -> its latest setting
Sections = dict[str, dict[str, Setting]]


def read_fragment(path: Path, sections: Sections) -> None:
    """Add the settings of one file to ``sections``; a later file overrides earlier keys."""
    name = str(path)
    try:
        if not path.is_file():
            raise GeneratorConfigError(name, None, "not a regular file")
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise GeneratorConfigError(name, None, "larger than 1 MiB: not a configuration")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise GeneratorConfigError(name, None, "not UTF-8 text") from None
    except OSError as exc:
        raise GeneratorConfigError(name, None, exc.strerror or "cannot be read") from None
    current = sections.setdefault("", {})
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise GeneratorConfigError(name, number, f"bad section header {line!r}")
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        key, value = _split(line, name, number)
        current[key] = Setting(value, name, number)


def _split(line: str, path: str, number: int) -> tuple[str, str]:
    cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
    if cut <= 0:
        raise GeneratorConfigError(path, number, f"expected 'key = value', got {line!r}")
    key, value = line[:cut].strip(), line[cut + 1:].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return key, value
