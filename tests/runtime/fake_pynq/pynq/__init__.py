"""A fake ``pynq`` (PYNQ 3.x API subset) for the runtime tests: ``Overlay`` and ``allocate``.

The overlay of ``<bundle>/bitstream/<top>.bit`` exposes one HLS IP, named as the bundle's manifest
says, whose registers are an emulated device computing with the bundle's IR. ``PHYSICAL_MEMORY``
stands for the board's contiguous memory shared by every buffer and IP, as on a board.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from codesign.runtime.bundle import BundleManifest
from codesign.runtime.emulated import Buffer, EmulatedDevice, Memory, ir_backend

PHYSICAL_MEMORY = Memory()


def allocate(shape: Any, dtype: Any = np.uint32, **_: Any) -> Buffer:
    """A contiguous buffer with ``device_address``."""
    return PHYSICAL_MEMORY.allocate(shape, dtype)


class DefaultIP:
    """An IP's register interface: ``read``/``write`` of 32-bit registers."""

    def __init__(self, device: EmulatedDevice) -> None:
        self._device = device

    def read(self, offset: int = 0) -> int:
        return self._device.read(offset)

    def write(self, offset: int, value: int) -> None:
        self._device.write(offset, value)


class Overlay:
    """Loads a bundle's bitstream (fake): one HLS IP backed by an emulated device."""

    def __init__(self, bitfile_name: str, download: bool = True) -> None:
        bit = Path(bitfile_name)
        if not bit.is_file():
            raise OSError(f"bitstream {bit} does not exist")
        bundle_dir = bit.parent.parent
        manifest = BundleManifest.from_dict(json.loads((bundle_dir / "manifest.json").read_text()))
        device = EmulatedDevice(manifest, ir_backend(bundle_dir / "ir"), PHYSICAL_MEMORY)
        offsets = manifest.registers
        self._ips = {manifest.ip_name: DefaultIP(device)}
        self.ip_dict = {
            manifest.ip_name: {
                "type": f"xilinx.com:hls:{manifest.top}:1.0", "phys_addr": 0xA000_0000, "addr_range": 0x10000,
                "registers": {"CTRL": {"address_offset": offsets["control"], "size": 32},
                              "in_r": {"address_offset": offsets["in"], "size": 64},
                              "out_r": {"address_offset": offsets["out"], "size": 64},
                              "n": {"address_offset": offsets["n"], "size": 32}},
            },
            "zynq_ultra_ps_e_0": {"type": "xilinx.com:ip:zynq_ultra_ps_e:3.3"},
        }

    def __getattr__(self, name: str) -> DefaultIP:
        ips = self.__dict__.get("_ips", {})
        if name in ips:
            return ips[name]
        raise AttributeError(f"overlay has no attribute {name!r}")
