"""Recompression: re-packing stored pages with a stronger secondary algorithm (§2.12).

zram compresses with a fast primary algorithm (lz4) and may keep up to three
secondary ones (``recomp_algorithm algo=zstd priority=1``). ``recompress``
decompresses chosen pages and tries the secondaries in priority order; a try
succeeds only if the new length lands in a *smaller size class* than the old
one (the class of the raw lengths, no handle header), and, with a
``threshold``, is below it too. Saving bytes inside the same class saves no
memory, so it does not count.

Worked example (chain 8): a huge page (4096 bytes, class 254) that zstd
shrinks to 2100 bytes (ceil((2100 - 32) / 16) = 130, merged into class 134)
succeeds: the slot now holds a 2100-byte object, priority 1, is no longer huge
(huge_pages - 1), and compr_data_size drops by 4096 - 2100 = 1996. A 1000-byte
object (index 61, merged into class 62: 1 page, 4 objects) brought to 990
bytes (index 60, class 992: 8 pages, 33 objects) succeeds for 10 bytes; brought
to 1001 bytes (index 61 again) it fails. A page no algorithm up to the highest
active priority can shrink is marked INCOMPRESSIBLE and never tried again
(until it is rewritten).

Every slot that reaches a try costs one of ``max_pages``, even a failed one;
a slot skipped for ``threshold`` costs nothing. The candidates go in the same
65-bucket, largest-first order as writeback.
"""

from __future__ import annotations

from zramsim.device import ZramDevice
from zramsim.slot_flags import HUGE, IDLE, INCOMPRESSIBLE, NO_DATA, PRIO_SHIFT, SAME, WB
from zramsim.kernel_syntax import U32, U64, Refused, kstrtoull, next_args
from zramsim.writeback import Outcome, buckets, count

MAX_COMPS = 4           # the primary and three secondary algorithms
MODES = {"idle": IDLE, "huge": HUGE, "huge_idle": HUGE | IDLE}


def recompress(device: ZramDevice, value: str, names: dict[int, str]) -> Outcome:
    """Run ``echo value > recompress``; ``names`` = configured priority -> algorithm."""
    mode, threshold, max_pages, algo, prio, prio_max = 0, 0, U64, None, 1, MAX_COMPS
    for key, val in next_args(value):
        if not val:
            raise Refused("EINVAL", f"recompress parameter {key!r} has no value")
        if key == "type":
            mode = MODES.get(val, 0)          # an unknown type means no filter
        elif key == "max_pages":
            max_pages = kstrtoull(val, 10, U64, "max_pages")
        elif key == "threshold":
            threshold = kstrtoull(val, 10, U32, "threshold")
        elif key == "algo":
            algo = val
        elif key == "priority":
            prio = max(kstrtoull(val, 10, U32, "priority"), 1)
            prio_max = prio + 1
    if threshold >= device.huge_class_size:
        raise Refused("EINVAL", f"threshold {threshold} >= huge_class_size "
                                f"{device.huge_class_size}")
    if algo is not None:
        found = [p for p in range(prio, MAX_COMPS) if names.get(p) == algo]
        if not found:
            raise Refused("EINVAL", f"no secondary algorithm {algo!r} configured")
        prio, prio_max = found[0], found[0] + 1
    active = 1 + len(device.secondary)
    prio_max = min(prio_max, active)
    if prio >= prio_max:
        raise Refused("EINVAL", "no secondary algorithm to try (write recomp_algorithm "
                                "before the device is used)")
    order = buckets(device, _candidates(device, mode, prio_max))
    out = Outcome()
    for index in order:
        if not max_pages:
            left = len(order) - order.index(index)
            out.decisions.append(f"max_pages reached: {count(left, 'candidate')} left")
            break
        tried = _slot(device, index, threshold, prio, prio_max, active, out)
        if tried and max_pages:
            max_pages -= 1
    out.reason = f"{out.done} of {len(order)} candidates recompressed"
    return out


def _candidates(device: ZramDevice, mode: int, prio_max: int) -> list[int]:
    found = []
    for index in device.stored_slots():
        flags = device.slot_flags(index)
        if flags & (WB | SAME | INCOMPRESSIBLE) or not device.handle_of(index):
            continue
        if flags & mode != mode or (flags >> PRIO_SHIFT) + 1 >= prio_max:
            continue
        found.append(index)
    return found


def _slot(device: ZramDevice, index: int, threshold: int, prio: int, prio_max: int,
          active: int, out: Outcome) -> bool:
    """recompress_slot: True if an algorithm was tried (which costs one of max_pages)."""
    kind, old_len = device.slot_state(index)
    flags = device.slot_flags(index)
    if old_len < threshold:
        out.decisions.append(f"slot {index}: {old_len} bytes < threshold {threshold}: skipped")
        return False
    if flags & NO_DATA:
        out.decisions.append(f"slot {index}: sizes-only, no bytes to recompress: skipped")
        return False
    page = device.stored_page(index)
    device.set_slot_flag(index, IDLE, False)
    geometry = device.geometry
    old_class = geometry.class_for_size(old_len).index
    start = max(prio, (flags >> PRIO_SHIFT) + 1)
    if start >= prio_max:
        return False
    tries = []
    for p in range(start, prio_max):
        compressor = device.secondary.get(p)
        if compressor is None:
            continue
        data = compressor.compress(page)
        new_class = geometry.class_for_size(len(data)).index
        tries.append(f"{compressor.name} (priority {p}) {len(data)} bytes, class {new_class}")
        if new_class < old_class and not (threshold and len(data) >= threshold):
            handle = device.pool.malloc(len(data), data)
            device.install_recompressed(index, handle, len(data), p)
            out.done += 1
            out.decisions.append(f"slot {index} ({kind}, {old_len} bytes, class {old_class}): "
                                 f"{'; '.join(tries)} < {old_class}: recompressed")
            return True
    verdict = "kept"
    if prio_max >= active:
        device.set_slot_flag(index, INCOMPRESSIBLE, True)
        verdict = "marked INCOMPRESSIBLE"
    out.decisions.append(f"slot {index} ({kind}, {old_len} bytes, class {old_class}): "
                         f"{'; '.join(tries) or 'no algorithm'}: no smaller class, {verdict}")
    return True
