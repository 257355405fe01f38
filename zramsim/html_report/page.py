"""Assembling one HTML file: the template, the style, the scripts and the data, inline.

The page must open from disk with no network: nothing is linked, everything is
poured in. The data goes in as JSON inside ``<script type="application/json">``
with every ``<`` written ``\\u003c``, so no string in it (a trace named
``</script>.trace``) can end the element early; ``JSON.parse`` reads it back
unchanged. The templates are package data (``templates/``).

Writing is atomic: the page goes to a temporary file beside the target and is
renamed over it, so Ctrl-C or a full disk never leaves half a report.
"""

from __future__ import annotations

import json
import re
from html import escape
from importlib.resources import files

from zramsim.html_report.data import replay_data
from zramsim.html_report.sweeps import pressure_data, sweep_data

SCRIPTS = {"replay": ("common.js", "replay.js", "steps.js"),
           "pressure": ("common.js", "pressure.js"),
           "sweep": ("common.js", "sweep.js")}


def template(name: str) -> str:
    return (files("zramsim.html_report") / "templates" / name).read_text(encoding="utf-8")


def render(data: dict) -> str:
    """The HTML page for a data dict of kind replay, pressure or sweep."""
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    parts = {"title": escape(data["title"]), "style": template("style.css"),
             "script": "\n".join(template(name) for name in SCRIPTS[data["kind"]]),
             "data": payload}
    return re.sub(r"{{(\w+)}}", lambda m: parts[m.group(1)], template("page.html"))


def replay_page(device, doc: dict, title: str, recorder=None) -> str:
    return render(replay_data(device, doc, title, recorder))


def pressure_page(result, title: str) -> str:
    return render(pressure_data(result, title))


def sweep_page(rows: list[dict], title: str = "zramsim sweep") -> str:
    return render(sweep_data(rows, title))
