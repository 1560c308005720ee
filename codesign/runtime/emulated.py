"""An emulated accelerator: the IP's s_axilite register map and m_axi memory behaviour in numpy.

The device answers the same ``read(offset)``/``write(offset, value)`` calls as a PYNQ IP and
allocates buffers with a ``device_address`` like ``pynq.allocate``. Writing ``ap_start`` runs the
whole batch at once: the device reads ``n`` images from the input address, computes them with a
pluggable backend (raw IR integers in, raw integers out) and writes the packed outputs to the
output address; ``ap_done`` then reads 1 once (clear on read) and ``ap_idle`` is 1 again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from codesign.runtime.bundle import Bundle, BundleManifest
from codesign.runtime.packing import pack, unpack

AP_START, AP_DONE, AP_IDLE, AP_READY, AUTO_RESTART = 0x01, 0x02, 0x04, 0x08, 0x80
PAGE_BYTES = 4096
#: Backend: raw inputs ``(B, *input shape)`` int64 -> raw outputs ``(B, *output shape)``.
Backend = Callable[[np.ndarray], np.ndarray]


class EmulatedDeviceError(RuntimeError):
    """The driver did something the hardware would not survive (bad address, bad n, bad register)."""


class Buffer(np.ndarray):
    """A numpy array in (emulated) contiguous memory, with pynq's buffer attributes."""

    device_address: int

    def __array_finalize__(self, obj: object) -> None:
        self.device_address = getattr(obj, "device_address", 0)

    @property
    def physical_address(self) -> int:
        """The pre-PYNQ-3 name of ``device_address``."""
        return self.device_address

    def flush(self) -> None:
        """Cache flush (a no-op: the emulated memory is coherent)."""

    def invalidate(self) -> None:
        """Cache invalidate (a no-op: the emulated memory is coherent)."""

    def freebuffer(self) -> None:
        """Release (the memory stays valid until the Memory is dropped)."""

    def close(self) -> None:
        """Release (same as ``freebuffer``)."""


class Memory:
    """Emulated physical memory: page-aligned buffers at increasing byte addresses."""

    def __init__(self, base: int = 0x1000_0000) -> None:
        self._next = base
        self._buffers: list[Buffer] = []

    def allocate(self, shape: int | tuple[int, ...], dtype: object = np.uint64) -> Buffer:
        """A zeroed contiguous buffer of ``shape`` and ``dtype`` with a fresh ``device_address``."""
        buf = np.zeros(shape, dtype=dtype).view(Buffer)
        buf.device_address = self._next
        self._next += -(-max(buf.nbytes, 1) // PAGE_BYTES) * PAGE_BYTES
        self._buffers.append(buf)
        return buf

    def words(self, address: int, count: int) -> np.ndarray:
        """A writable uint64 view of ``count`` words at byte ``address``, inside one buffer."""
        for buf in self._buffers:
            start = address - buf.device_address
            if 0 <= start and start + 8 * count <= buf.nbytes:
                if start % 8:
                    raise EmulatedDeviceError(f"address 0x{address:x} is not 64-bit aligned")
                return np.asarray(buf).reshape(-1).view(np.uint8)[start:start + 8 * count].view(np.uint64)
        raise EmulatedDeviceError(f"{count} words at address 0x{address:x} are not inside one allocated buffer")


class EmulatedDevice:
    """The accelerator IP of a bundle, emulated: register map, memory, and a compute backend.

    Args:
        manifest: the bundle manifest (register offsets, layouts, max_images).
        backend: computes raw outputs from raw inputs (see ``ir_backend``).
        memory: the memory its buffers live in (default: its own).
    """

    def __init__(self, manifest: BundleManifest, backend: Backend, memory: Memory | None = None) -> None:
        self.manifest = manifest
        self.backend = backend
        self.memory = memory if memory is not None else Memory()
        self.starts = 0
        self._regs = dict.fromkeys(manifest.registers.values(), 0)
        self._args = {name: manifest.registers[name] for name in ("in", "out", "n")}
        for name, offset in self._args.items():
            if name != "n":
                self._regs[offset + 4] = 0
        self._done = self._ready = False
        self._auto_restart = False

    def allocate(self, shape: int | tuple[int, ...], dtype: object = np.uint64) -> Buffer:
        """``pynq.allocate`` in this device's memory."""
        return self.memory.allocate(shape, dtype)

    def read(self, offset: int) -> int:
        """A 32-bit register read; ``ap_done``/``ap_ready`` clear on read like the IP's."""
        if offset == self.manifest.registers["control"]:
            value = AP_IDLE | (AP_DONE if self._done else 0) | (AP_READY if self._ready else 0)
            value |= AUTO_RESTART if self._auto_restart else 0
            self._done = self._ready = False
            return value
        return self._regs.get(offset, 0)

    def write(self, offset: int, value: int) -> None:
        """A 32-bit register write; writing ``ap_start`` runs the batch.

        Raises:
            EmulatedDeviceError: an offset outside the register map, or a bad run (see ``start``).
        """
        if offset not in self._regs or offset % 4:
            raise EmulatedDeviceError(f"write to 0x{offset:x}: not a register of {self.manifest.top}")
        value = int(value) & 0xFFFF_FFFF
        if offset == self.manifest.registers["control"]:
            self._auto_restart = bool(value & AUTO_RESTART)
            if value & AP_START:
                self.start()
            return
        self._regs[offset] = value

    def _u64(self, name: str) -> int:
        offset = self._args[name]
        return self._regs[offset] | (self._regs[offset + 4] << 32)

    def start(self) -> None:
        """Run ``n`` images from the ``in`` address to the ``out`` address, then signal done.

        Raises:
            EmulatedDeviceError: ``n`` outside 1..max_images or buffers outside allocated memory.
        """
        n = self._regs[self._args["n"]]
        n = n - (1 << 32) if n >= 1 << 31 else n
        if not 1 <= n <= self.manifest.max_images:
            raise EmulatedDeviceError(f"n = {n}: the IP processes 1..{self.manifest.max_images} images per start")
        layout_in, layout_out = self.manifest.input, self.manifest.output
        words_in = self.memory.words(self._u64("in"), n * layout_in.words_per_image)
        words_out = self.memory.words(self._u64("out"), n * layout_out.words_per_image)
        outputs = np.asarray(self.backend(unpack(words_in, layout_in)))
        words_out[:] = pack(outputs, layout_out).reshape(-1)
        self.starts += 1
        self._done = self._ready = True


def ir_backend(ir_dir: Path | str) -> Backend:
    """The IR reference interpreter as a backend (``codesign.ir``: numpy only, imported lazily)."""
    from codesign import ir

    graph = ir.load(ir_dir)

    def compute(raw: np.ndarray) -> np.ndarray:
        return next(iter(ir.run(graph, raw).outputs.values()))

    return compute


def emulate(bundle: Bundle, backend: Backend | None = None, memory: Memory | None = None) -> EmulatedDevice:
    """The emulated device of ``bundle``, computing with ``backend`` (default: the bundled IR)."""
    return EmulatedDevice(bundle.manifest, backend or ir_backend(bundle.ir_dir), memory)
