"""The PYNQ runtime: deploy bundles, the board driver and an emulated device (numpy only;
``pynq`` is imported inside functions, on a board).

    python -m codesign.runtime BUNDLE [--emulate] [--out result.json]

On a board, install without dependencies (``pip install --no-deps codesign``): this package
needs only numpy and pynq, both on the PYNQ image.
"""

from codesign.runtime.bundle import BUNDLE_VERSION, Bundle, BundleError, BundleManifest, load_bundle, make_bundle
from codesign.runtime.driver import (
    Accelerator,
    AcceleratorError,
    AcceleratorTimeout,
    CheckResult,
    Timing,
    check,
    open_board,
)
from codesign.runtime.emulated import EmulatedDevice, EmulatedDeviceError, Memory, emulate, ir_backend
from codesign.runtime.packing import Layout, PackingError, pack, unpack

__all__ = [
    "BUNDLE_VERSION",
    "Accelerator",
    "AcceleratorError",
    "AcceleratorTimeout",
    "Bundle",
    "BundleError",
    "BundleManifest",
    "CheckResult",
    "EmulatedDevice",
    "EmulatedDeviceError",
    "Layout",
    "Memory",
    "PackingError",
    "Timing",
    "check",
    "emulate",
    "ir_backend",
    "load_bundle",
    "make_bundle",
    "open_board",
    "pack",
    "unpack",
]
