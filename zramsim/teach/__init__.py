"""Teaching compressed RAM: explain a size, draw zspages, narrate a replay, quiz, compare.

Each module makes one idea of zsmalloc's design visible and checkable; they
only read the allocator and the device (``Pool.zspages()``, ``Pool.locate()``,
``ZramDevice.slot_state()``...) and never change how either behaves.
"""
