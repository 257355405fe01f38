"""How the kernel reads what is written to a zram attribute, and how it says no.

A trace line ``S writeback page_indexes=10-20`` means exactly
``echo page_indexes=10-20 > /sys/block/zram0/writeback``, so the value gets the
trailing newline ``echo`` adds and is parsed with the kernel's own helpers:

* ``kstrtoull(text, base)``: the whole string is one number (one trailing
  newline allowed, a leading ``+`` too); base 0 reads ``0x1f`` as hex and
  ``017`` as octal. Junk is EINVAL, a value past the type's range ERANGE.
  ``kstrtoull("3600\\n", 0)`` = 3600; ``kstrtoull("36k", 10)`` is EINVAL.
* ``memparse(text)``: a number (base auto-detected) and an optional
  K/M/G/T/P/E suffix of powers of 1024; parsing simply stops at anything else,
  so it never fails: ``memparse("64M")`` = 67108864, ``memparse("1.5G")`` = 1.
* ``next_arg``: space-separated ``key=value`` words (``key`` alone has no
  value), as ``recompress`` and ``writeback`` take them.

``Refused(errno, reason)`` is how a parser or an attribute says no; the errno
name (``EINVAL``, ``EBUSY``, ...) is what a shell would print.
"""

from __future__ import annotations

import re

U64 = (1 << 64) - 1
U32 = (1 << 32) - 1
U16 = (1 << 16) - 1

ERRNO_TEXT = {
    "EINVAL": "Invalid argument", "EBUSY": "Device or resource busy",
    "ENODEV": "No such device", "ENOSPC": "No space left on device",
    "EIO": "Input/output error", "ERANGE": "Numerical result out of range",
    "E2BIG": "Argument list too long", "ENOENT": "No such file or directory",
    "EACCES": "Permission denied", "ENOMEM": "Cannot allocate memory",
}


class Refused(Exception):
    """An attribute write the kernel fails with ``errno`` (a name such as ``EINVAL``)."""

    def __init__(self, errno: str, reason: str) -> None:
        self.errno = errno
        self.reason = reason
        super().__init__(f"{errno}: {reason}")


_NUMBER = {0: re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*"),
           10: re.compile(r"[0-9]+")}


def kstrtoull(text: str, base: int = 10, limit: int = U64, what: str = "value") -> int:
    """The kernel's kstrto* family: the whole of ``text`` is one unsigned number."""
    body = text[:-1] if text.endswith("\n") else text
    if body.startswith("+"):
        body = body[1:]
    if not _NUMBER[base].fullmatch(body):
        raise Refused("EINVAL", f"{what} {text.strip()!r} is not a number")
    if base == 0 and body[:2].lower() == "0x":
        value = int(body[2:], 16)
    elif base == 0 and body.startswith("0"):
        value = int(body, 8)
    else:
        value = int(body)
    if value > limit:
        raise Refused("ERANGE", f"{what} {value} is out of range (at most {limit})")
    return value


def kstrtoint(text: str, what: str = "value") -> int:
    """Signed 32-bit, base 10 (``priority=`` of recomp_algorithm)."""
    body = text.rstrip("\n")
    negative = body.startswith("-")
    value = kstrtoull(body[1:] if negative else body, 10, 1 << 31, what)
    if not negative and value == 1 << 31:
        raise Refused("ERANGE", f"{what} {value} is out of range")
    return -value if negative else value


_MEMPARSE = re.compile(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?([kKmMgGtTpPeE]?)")
_SHIFT = {"k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}


def memparse(text: str) -> int:
    """Bytes from ``64M``, ``0x1000``, ``4096`` ...; stops at the first other character."""
    match = _MEMPARSE.match(text)
    digits, suffix = match.group(1), match.group(2)
    if not digits:
        return 0
    if digits[:2].lower() == "0x":
        value = int(digits[2:], 16)
    elif digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    return (value << _SHIFT.get(suffix.lower(), 0)) & U64


def sysfs_streq(text: str, word: str) -> bool:
    """``text`` equals ``word``, ignoring one trailing newline."""
    return text == word or text == word + "\n"


def next_args(text: str) -> list[tuple[str, str | None]]:
    """``key=value`` words in order; a word without ``=`` has value None."""
    out: list[tuple[str, str | None]] = []
    for word in text.split():
        key, eq, value = word.partition("=")
        out.append((key, value.strip('"') if eq else None))
    return out
