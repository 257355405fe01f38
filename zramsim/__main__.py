"""``python -m zramsim``: the same command line as the ``zramsim`` script.

The command line lives in the top-level ``cli`` module (the only place that
imports click); this entry point only hands over to it, so that a checkout or
an environment without the console script still runs every command.
"""

from cli import main

if __name__ == "__main__":
    main(prog_name="zramsim")
