"""Which files make up a configuration, in zram-generator's order of precedence.

The generator reads one main file, the first that exists of
``/run/systemd/zram-generator.conf``, ``/etc/...``, ``/usr/local/lib/...`` and
``/usr/lib/...``, and then every ``*.conf`` drop-in of the four
``zram-generator.conf.d/`` folders, sorted by file name wherever it lies (a
drop-in in ``/etc`` replaces one of the same name in ``/usr/lib``; a link to
``/dev/null`` disables it). A later file overrides the options of an earlier one.

``--config`` takes files (read in the order given) or folders. A folder is
either one configuration folder (``zram-generator.conf`` and/or
``zram-generator.conf.d/`` inside it) or a root laid out like ``/``
(``etc/systemd/zram-generator.conf`` ...), as with the generator's
``ZRAM_GENERATOR_ROOT``.

Example: a root holding ``usr/lib/systemd/zram-generator.conf.d/10-vendor.conf``
and ``etc/systemd/zram-generator.conf.d/20-local.conf`` reads the main file
first, then ``10-vendor.conf``, then ``20-local.conf``: the local one wins.
"""

from __future__ import annotations

from pathlib import Path

from zramsim.zram_generator.ini import GeneratorConfigError

MAIN = "zram-generator.conf"
DROPINS = "zram-generator.conf.d"
BASE_DIRS = ("usr/lib", "usr/local/lib", "etc", "run")     # lowest precedence first


def fragments(paths: list[str]) -> list[Path]:
    """Every file to read, in order, for the ``--config`` arguments given."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(_folder(path))
        elif path.exists():
            found.append(path)
        else:
            raise GeneratorConfigError(given, None, "no such file or folder")
    return found


def _folder(folder: Path) -> list[Path]:
    if (folder / MAIN).exists() or (folder / DROPINS).is_dir():
        return _config_dirs([folder])
    roots = [folder / base / "systemd" for base in BASE_DIRS]
    if not any((root / MAIN).exists() or (root / DROPINS).is_dir() for root in roots):
        raise GeneratorConfigError(str(folder), None,
                                   f"holds no {MAIN}, no {DROPINS}/ and no "
                                   "etc/systemd/ or usr/lib/systemd/ configuration")
    return _config_dirs(roots)


def _config_dirs(dirs: list[Path]) -> list[Path]:
    """The main file (highest-precedence one only), then drop-ins sorted by name."""
    mains = [d / MAIN for d in reversed(dirs) if (d / MAIN).exists()]
    dropins: dict[str, Path] = {}
    for d in dirs:                           # a later folder replaces a same-named drop-in
        if (d / DROPINS).is_dir():
            for file in (d / DROPINS).glob("*.conf"):
                dropins[file.name] = file
    ordered = [dropins[name] for name in sorted(dropins)]
    return [f for f in mains[:1] + ordered if not _disabled(f)]


def _disabled(path: Path) -> bool:
    """A drop-in linked to /dev/null masks the vendor file of the same name."""
    return path.is_symlink() and path.resolve() == Path("/dev/null")
