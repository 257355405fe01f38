"""Regenerate the report screenshots of the README and the tutorial (docs/img/report-*.png).

Writes four reports with the command line and the library, opens each in
headless Chromium (the same driver as the browser tests) and saves a PNG:

* report-replay.png: ``zramsim report`` of the built-in default workload;
* report-steps.png: the step-through of docs/tutorial.trace after its compaction;
* report-pressure.png: ``zramsim pressure --pages 4096 ... --html``;
* report-sweep.png: a sweep page of real replays of the default workload,
  lz4 and zstd x chain sizes 4 and 8, each timed.

With Pillow installed the PNGs are reduced to 256 colours (a third of the size).

    python tools/report_screenshots.py          # ~30 s
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from chromium import screenshot  # noqa: E402
from workloads.default import default_workload  # noqa: E402
from zramsim import Replay, ZramDevice  # noqa: E402
from workloads.output_file import write_bytes  # noqa: E402
from zramsim.html_report import sweep_page  # noqa: E402

IMG = ROOT / "docs" / "img"


def zramsim(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "zramsim", *args], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)       # from the checkout: relative titles


def sweep_rows() -> list[dict]:
    rows = []
    for algorithm in ("lz4", "zstd"):
        for chain in (4, 8):
            device = ZramDevice(None, algorithm, chain_size=chain)
            start = time.perf_counter()
            Replay(device).run(default_workload(0, 4096, 4096))
            seconds = round(time.perf_counter() - start, 3)
            stats = device.stats()
            rows.append({"trace": "default", "algorithm": algorithm, "level": device.level,
                         "chain_size": chain, "page_size": 4096, "mem_limit": 0,
                         **asdict(stats.mm_stat), **stats.ratios(), "seconds": seconds})
    return rows


def shrink(png: Path) -> None:
    try:
        from PIL import Image
    except ImportError:
        return
    Image.open(png).convert("RGB").quantize(256).save(png, optimize=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pages = {name: Path(tmp) / f"{name}.html" for name in ("replay", "steps", "pressure")}
        zramsim("report", "-o", str(pages["replay"]))
        zramsim("report", "docs/tutorial.trace", "-o", str(pages["steps"]))
        zramsim("pressure", "--pages", "4096", "--ram", "30%,40%,50%,60%,70%,80%,90%",
                "--accesses", "100000", "--html", str(pages["pressure"]))
        pages["sweep"] = Path(tmp) / "sweep.html"
        rows = sweep_rows()
        write_bytes(pages["sweep"], sweep_page(rows, "default workload: 4 configurations").encode())
        shots = {"replay": ("1100,1500", ""), "steps": ("1100,560", "steps=17&only=steps"),
                 "pressure": ("1100,1000", ""), "sweep": ("1100,560", "")}
        for name, (size, fragment) in shots.items():
            png = IMG / f"report-{name}.png"
            screenshot(pages[name], png, size, fragment)
            shrink(png)
            print(f"{png.relative_to(ROOT)}: {png.stat().st_size} bytes")


if __name__ == "__main__":
    main()
