"""``python -m zramsim`` and the ``zramsim`` script: the command line, entered here.

The command line lives in the top-level ``cli`` module (the only place that
imports click). Before importing it, this entry point lets a replay's reader
helper start (``zramsim.reader_start.prestart``): the ~30 ms of the command
line's own imports then run beside the helper's start instead of before it.
"""

import sys

from zramsim.reader_start import prestart


def main() -> None:
    prestart(sys.argv)
    from cli import main as command_line       # click and every command: ~30 ms
    command_line(prog_name="zramsim")


if __name__ == "__main__":
    main()
