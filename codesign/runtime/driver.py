"""The board driver: run a bundle's accelerator through PYNQ (or an emulated device) and check it.

    bundle = load_bundle("bundle.tar.gz")
    acc = open_board(bundle)                       # pynq.Overlay + the IP, board/part checked
    result = check(bundle, acc, out="result.json")  # golden vectors, bit for bit, timings

``pynq`` is imported inside functions only, so this module imports with numpy alone.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesign.runtime.bundle import Bundle, BundleError, BundleManifest
from codesign.runtime.emulated import AP_DONE, AP_IDLE, AP_START
from codesign.runtime.packing import pack, unpack


class AcceleratorError(RuntimeError):
    """The accelerator cannot be found or driven."""


class AcceleratorTimeout(AcceleratorError):
    """``ap_done`` did not come within the timeout."""


def _board_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _register_overrides(ip_info: Any) -> dict[str, int]:
    """Argument offsets from ``overlay.ip_dict[ip]["registers"]`` (parsed from the .hwh) when present."""
    registers = ip_info.get("registers") if isinstance(ip_info, dict) else None
    found: dict[str, int] = {}
    for name, reg in (registers or {}).items():
        key = name.lower()
        for arg in ("in", "out", "n"):
            if key in (arg, f"{arg}_r"):
                found[arg] = int(reg["address_offset"])
        if key == "ctrl":
            found["control"] = int(reg["address_offset"])
    return found


class Accelerator:
    """The ``mm`` accelerator: buffers, packing, registers, start and poll.

    Args:
        overlay_or_device: a ``pynq.Overlay`` (the IP is found in ``ip_dict`` by name, buffers come
            from ``pynq.allocate``) or a device with ``read``/``write``/``allocate`` (emulated).
        manifest: the bundle manifest.
        ip_name: overrides the manifest's IP instance name.
        timeout_s: how long to poll ``ap_done`` per start, in seconds.
    """

    def __init__(self, overlay_or_device: Any, manifest: BundleManifest, *, ip_name: str | None = None,
                 timeout_s: float = 10.0) -> None:
        self.manifest = manifest
        self.timeout_s = timeout_s
        self.registers = dict(manifest.registers)
        ip_dict = getattr(overlay_or_device, "ip_dict", None)
        if ip_dict is None:
            self.ip = overlay_or_device
            self._allocate = overlay_or_device.allocate
            return
        name = ip_name or manifest.ip_name
        if name not in ip_dict:
            hls_ips = sorted(k for k, v in ip_dict.items() if ":hls:" in str(v.get("type", "")))
            raise AcceleratorError(f"the overlay has no IP named {name!r} (HLS IPs in it: {hls_ips or 'none'}; "
                                   f"all IPs: {sorted(ip_dict)})")
        self.registers.update(_register_overrides(ip_dict[name]))
        self.ip = getattr(overlay_or_device, name)
        import pynq

        self._allocate = pynq.allocate

    def allocate(self, images: int) -> tuple[Any, Any]:
        """Contiguous input and output buffers for ``images`` images (uint64 words)."""
        m = self.manifest
        return (self._allocate(shape=(images * m.input.words_per_image,), dtype=np.uint64),
                self._allocate(shape=(images * m.output.words_per_image,), dtype=np.uint64))

    def _write_u64(self, name: str, value: int) -> None:
        self.ip.write(self.registers[name], value & 0xFFFF_FFFF)
        self.ip.write(self.registers[name] + 4, (value >> 32) & 0xFFFF_FFFF)

    def execute(self, in_buf: Any, out_buf: Any, n: int) -> float:
        """Process ``n`` packed images from ``in_buf`` into ``out_buf``; returns the seconds taken.

        Raises:
            AcceleratorError: ``n`` outside 1..max_images, or the IP is still busy.
            AcceleratorTimeout: no ``ap_done`` within ``timeout_s``.
        """
        if not 1 <= n <= self.manifest.max_images:
            raise AcceleratorError(f"n = {n}: one start processes 1..{self.manifest.max_images} images")
        control = self.registers["control"]
        status = self.ip.read(control)
        if status & AP_START or not status & AP_IDLE:
            raise AcceleratorError(f"{self.manifest.top} is busy (control register 0x{status:02x})")
        in_buf.flush()
        self._write_u64("in", int(in_buf.device_address))
        self._write_u64("out", int(out_buf.device_address))
        self.ip.write(self.registers["n"], n)
        begin = time.perf_counter()
        self.ip.write(control, AP_START)
        deadline = begin + self.timeout_s
        while True:
            status = self.ip.read(control)
            if status & AP_DONE:
                break
            if time.perf_counter() > deadline:
                raise AcceleratorTimeout(
                    f"{self.manifest.top}: no ap_done within {self.timeout_s} s after ap_start for {n} images "
                    f"(control register 0x{status:02x}: ap_start={status & 1}, ap_idle={(status >> 2) & 1})")
        elapsed = time.perf_counter() - begin
        out_buf.invalidate()
        return elapsed

    def run(self, raw: np.ndarray) -> tuple[np.ndarray, float]:
        """Raw inputs ``(B, ...)`` -> raw outputs ``(B, *output shape)`` and the accelerator seconds."""
        m = self.manifest
        words = pack(raw, m.input)
        outputs, seconds = [], 0.0
        for first in range(0, len(words), m.max_images):
            chunk = words[first:first + m.max_images]
            in_buf, out_buf = self.allocate(len(chunk))
            try:
                in_buf[:] = chunk.reshape(-1)
                seconds += self.execute(in_buf, out_buf, len(chunk))
                outputs.append(unpack(np.array(out_buf), m.output))
            finally:
                for buf in (in_buf, out_buf):
                    buf.freebuffer()
        if not outputs:
            return np.zeros((0, *m.output.shape), dtype=np.int64), 0.0
        return np.concatenate(outputs), seconds


def _hwh_device(hwh: Path) -> str | None:
    match = re.search(r'<SYSTEMINFO\b[^>]*\bDEVICE="([^"]+)"', hwh.read_text(errors="replace"))
    return match.group(1).lower() if match else None


def open_board(bundle: Bundle, *, board: str | None = None, ip_name: str | None = None,
               timeout_s: float = 10.0) -> Accelerator:
    """Load the bundle's bitstream with ``pynq.Overlay`` and find its IP.

    Args:
        bundle: a verified bundle with a bitstream.
        board: this board's name (default: the ``BOARD`` variable PYNQ images set).
        ip_name: overrides the manifest's IP instance name.
        timeout_s: ``ap_done`` timeout per start, in seconds.

    Raises:
        BundleError: no bitstream, or a bundle built for another board or part.
        AcceleratorError: pynq missing, or no IP of that name in the overlay.
    """
    m = bundle.manifest
    if bundle.bitstream is None or bundle.hwh is None:
        raise BundleError(f"{bundle.path / 'manifest.json'}: the bundle has no bitstream (.bit/.hwh); "
                          "build it with the bitstream stage or run with --emulate")
    here = board if board is not None else os.environ.get("BOARD")
    if m.board and here and _board_key(here) != _board_key(m.board):
        raise BundleError(f"{bundle.path / 'manifest.json'}: the bundle is for board {m.board!r}, this is {here!r}")
    device = _hwh_device(bundle.hwh)
    if device and device != m.part.split("-")[0].lower():
        raise BundleError(f"{bundle.hwh}: the hardware handoff is for device {device!r}, the manifest's part is "
                          f"{m.part!r}")
    try:
        import pynq
    except ImportError as e:
        raise AcceleratorError("pynq is not installed: run on a PYNQ board, or check with --emulate") from e
    overlay = pynq.Overlay(str(bundle.bitstream))
    return Accelerator(overlay, m, ip_name=ip_name, timeout_s=timeout_s)


@dataclass(frozen=True)
class Timing:
    """The accelerator's time for one batch size (best of the repeats).

    Attributes:
        batch: images per start.
        seconds: from ``ap_start`` to ``ap_done``, in seconds.
        latency_per_image_s: ``seconds / batch``.
        fps: images per second.
    """

    batch: int
    seconds: float
    latency_per_image_s: float
    fps: float


@dataclass(frozen=True)
class CheckResult:
    """The outcome of ``check``.

    Attributes:
        passed: every output bit equals the expected output.
        device: ``board`` or ``emulated``.
        top: the accelerator's top function.
        samples: golden vectors run.
        mismatches: output values that differ.
        first_mismatch: ``{sample, value, expected, got}`` (raw integers) of the first, or None.
        accuracy: argmax accuracy of the outputs on the bundled labels (None without labels).
        expected_accuracy: the same for the expected outputs.
        timings: one entry per batch size.
    """

    passed: bool
    device: str
    top: str
    samples: int
    mismatches: int
    first_mismatch: dict[str, int] | None
    accuracy: float | None
    expected_accuracy: float | None
    timings: tuple[Timing, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return asdict(self)


def batch_sizes(samples: int, max_images: int) -> list[int]:
    """Powers of two from 1 up to ``min(samples, max_images)``, and that maximum itself."""
    top = min(samples, max_images)
    sizes = [1 << k for k in range(top.bit_length()) if 1 << k <= top]
    return sizes + ([top] if top and sizes[-1] != top else [])


def _accuracy(outputs: np.ndarray, labels: np.ndarray) -> float | None:
    if labels.size == 0 or len(labels) != len(outputs):
        return None
    return float((outputs.reshape(len(outputs), -1).argmax(axis=1) == labels.reshape(-1)).mean())


def check(bundle: Bundle, device: Accelerator, *, device_kind: str = "board", repeats: int = 3,
          out: Path | str | None = None) -> CheckResult:
    """Run the golden vectors, compare bit for bit, measure latency and FPS per batch size.

    Args:
        bundle: a verified bundle.
        device: the accelerator (``open_board`` or one over an emulated device).
        device_kind: ``board`` or ``emulated`` (recorded in the result).
        repeats: timed runs per batch size (the best counts).
        out: a JSON file to write the result to (atomically).
    """
    m = bundle.manifest
    inputs, expected, labels = (bundle.vectors(n) for n in ("inputs", "expected", "labels"))
    if len(expected) != len(inputs):
        raise BundleError(f"{bundle.path / 'vectors'}: {len(inputs)} inputs but {len(expected)} expected rows")
    got, _ = device.run(inputs)
    flat_got, flat_exp = got.reshape(len(got), -1), expected.reshape(len(expected), -1)
    if flat_got.shape != flat_exp.shape:
        raise BundleError(f"{bundle.path / 'vectors/expected.txt'}: rows of {flat_exp.shape[1]} values, the "
                          f"accelerator returns {flat_got.shape[1]}")
    differ = flat_got != flat_exp
    first = None
    if differ.any():
        i, j = (int(k) for k in np.argwhere(differ)[0])
        first = {"sample": i, "value": j, "expected": int(flat_exp[i, j]), "got": int(flat_got[i, j])}
    timings = []
    for b in batch_sizes(len(inputs), m.max_images):
        seconds = min(device.run(inputs[:b])[1] for _ in range(repeats))
        timings.append(Timing(b, seconds, seconds / b, b / seconds if seconds > 0 else float("inf")))
    result = CheckResult(passed=not differ.any(), device=device_kind, top=m.top, samples=len(inputs),
                         mismatches=int(differ.sum()), first_mismatch=first,
                         accuracy=_accuracy(got, labels), expected_accuracy=_accuracy(expected, labels),
                         timings=tuple(timings))
    if out is not None:
        write_result(result, Path(out))
    return result


def write_result(result: CheckResult, path: Path) -> None:
    """Write ``result`` as JSON to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(result.to_dict(), f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def summary_line(result: CheckResult) -> str:
    """One line for a terminal: PASS/FAIL, mismatches, accuracy, best FPS."""
    verdict = "PASS" if result.passed else "FAIL"
    fps = max((t.fps for t in result.timings), default=0.0)
    acc = "n/a" if result.accuracy is None else f"{result.accuracy:.4f}"
    text = f"{verdict} ({result.device}): {result.samples} samples, {result.mismatches} mismatching values, " \
           f"accuracy {acc}, best {fps:.1f} images/s"
    if result.first_mismatch:
        f = result.first_mismatch
        text += f"; first mismatch sample {f['sample']} value {f['value']}: expected {f['expected']}, got {f['got']}"
    return text

