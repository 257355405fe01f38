"""One self-contained HTML file per result: a replay, a pressure sweep, a config sweep.

A table of forty numbers hides where the memory went; a page a reader can open
from disk, with no network, shows it. The Python side builds a JSON-able dict
from the very objects the command line prints (``data``: a replay, ``steps``:
the step-through of a small trace, ``pressure``: pressure and config sweeps);
``page`` pours that dict, the CSS and small hand-written scripts (templates
shipped as package data) into one HTML file. The scripts only draw: every
number they show is in the embedded dict.

No charting library: the charts are a stacked bar, bar charts, line charts
and the zspage map, each a few dozen lines of SVG; a library would be ten
times the size of the page's own code, and would have to be vendored and
kept up to date.
"""

from zramsim.html_report.data import ReplayRecorder, replay_data
from zramsim.html_report.page import pressure_page, replay_page, sweep_page

__all__ = ["ReplayRecorder", "replay_data", "pressure_page", "replay_page", "sweep_page"]
