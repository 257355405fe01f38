"""zsmalloc, the allocator behind zram: size classes, zspages, handles, compaction.

Knows nothing of compression or of the rest of zramsim; see ``pool`` for why
zsmalloc is built the way it is and ``geometry`` for the class arithmetic.
"""

from allocator.errors import (AllocatorError, InvalidHandle, InvariantError, ObjectOverflow,
                              ObjectSizeError)
from allocator.geometry import (CHAIN_RULES, DEFAULT_CHAIN_SIZE, DEFAULT_PAGE_SIZE, HANDLE_SIZE,
                                MIN_WASTE, USED_PERCENT, Geometry, SizeClass, class_index)
from allocator.pool import Pool, fullness_group
from allocator.stats import GROUP_LABELS, ClassStats, Fragmentation, render_classes

__all__ = [
    "AllocatorError", "InvalidHandle", "InvariantError", "ObjectOverflow", "ObjectSizeError",
    "CHAIN_RULES", "DEFAULT_CHAIN_SIZE", "DEFAULT_PAGE_SIZE", "HANDLE_SIZE", "MIN_WASTE",
    "USED_PERCENT", "Geometry", "SizeClass", "class_index", "Pool", "fullness_group",
    "GROUP_LABELS", "ClassStats", "Fragmentation", "render_classes",
]
