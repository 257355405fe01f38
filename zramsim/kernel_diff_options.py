"""The options of ``zramsim kernel-diff``, declared as data (``zramsim.option_spec``).

They live apart from ``zramsim.kernel_diff``, which the command imports only
when it runs. ``--algo`` offers each of our compressors that was checked on a
real kernel; the kernel runs the algorithm it stands for (``lz4-kernel`` and
``lz4`` both run the kernel's ``lz4``).
"""

from __future__ import annotations

from zramsim.algorithms import kernel_twins
from zramsim.option_spec import FLAG, SIZE, Choices, Option, Range

OPTIONS = (
    Option("--device device_path", str, "/dev/zram0"),
    Option("--algo algorithm", Choices(tuple(sorted(kernel_twins()))), "lz4",
           "Our compressor; the kernel runs the one it stands for."),
    Option("--disksize", SIZE, None, "Default: fits the trace."),
    Option("--mem-limit", SIZE, 0),
    Option("--every", Range(int, 1), 1, "Compare after every N operations (and after the last)."),
    Option("--per-page", FLAG,
           help="Instead: the kernel's compressed length of every written page, "
                "against each of ours that stands for the same kernel algorithm."),
)
