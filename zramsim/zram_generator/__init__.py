"""zram-generator.conf: build the zram device a distribution's configuration would create.

Most systems that run zram get it from systemd's zram-generator, configured by
``zram-generator.conf`` and its drop-ins. This package reads those files the way
the generator does (the same precedence, the same ``zram-size`` arithmetic, the
same defaults) and answers with the device's sysfs values, so the simulator can
replay a workload on exactly that device.
"""

from zramsim.zram_generator.device import (GeneratedDevice, device_settings, kernel_page_align,
                                           machine_ram, ram_mib, read_device, read_devices,
                                           settings_by_ram)
from zramsim.zram_generator.ini import GeneratorConfigError

__all__ = ["GeneratedDevice", "GeneratorConfigError", "device_settings", "kernel_page_align",
           "machine_ram", "ram_mib", "read_device", "read_devices", "settings_by_ram"]
