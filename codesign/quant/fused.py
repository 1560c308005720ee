"""Fused single-pass CPU kernels for the saturating training casts and their gradients, the
training BatchNorm/PReLU affine fused with its output cast (``affine_cast``), and the one-pass
observation of eval-mode tensors (``observe``).

The torch formulation of a training cast takes four elementwise passes forward (scale and
round, floor, clamp, rescale) and three to four backward (mask, two reductions); on CPU
these memory-bound passes dominated QAT step time. ``csrc/fused_cast.cpp`` does each
direction in one pass, is built once per machine with g++ (cached by content hash under
``$CODESIGN_CACHE_DIR`` or ``~/.cache/codesign``) and called through ctypes on the
tensors' memory.

Parameters come in groups: a tensor of shape ``S`` and a parameter view of shape ``P``
(broadcastable to ``S``, e.g. ``()`` per tensor, ``[1, C, 1, 1]`` per channel,
``[1, C, H, W]`` per element) form ``outer x groups x inner`` blocks, see
:func:`group_layout`. Layouts that do not factor this way, non-CPU or non-float32
tensors, and machines without g++ use the torch path: every function here returns None
then, and the caller falls back. ``CODESIGN_FUSED=0`` turns the kernels off.

Exactness: the forward equals the exact ap_fixed cast (``codesign.fixed.quantize``) for
every rounding mode under the caller's preconditions (power-of-two scale with an exponent
within float32's normal range, integer-valued raw bounds); the backward's sums are
accumulated in 8 float lanes per block (at most 8,192 elements for the casts, one channel's
row for the affine kernels) and in double across blocks, in a fixed order on every target (the
kernels run on the calling thread; see csrc/fused_cast.cpp for why).

The fused affine rounds ``x * p`` and then ``+ b`` (two float32 roundings); torch's
``addcmul``, which the unfused BatchNorm uses, may compute the same in one fused multiply-add
(it does on AVX2 builds), so training outputs of the two paths can differ in the last bit of
the affine before the cast. Both are float training arithmetic: the eval mode, the IR and the
generated C++ compute the affine exactly and do not depend on it.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import math
import os
import warnings
from pathlib import Path

import torch

from codesign.fixed import Rounding

_SOURCES = (Path(__file__).with_name("csrc") / "fused_cast.cpp", Path(__file__).with_name("csrc") / "observe.cpp")
_ROUNDING_CODES = {
    Rounding.TRN: 0, Rounding.TRN_ZERO: 1, Rounding.RND: 2, Rounding.RND_ZERO: 3,
    Rounding.RND_MIN_INF: 4, Rounding.RND_INF: 5, Rounding.RND_CONV: 6,
}
_CTYPES_MAX_GROUPS = 64
_AFFINE_MIN_INNER = 16  # below this many elements per channel row the fused affine is slower than torch
_I64 = ctypes.c_int64
_F32 = ctypes.c_float
_PTR = ctypes.c_void_p


def cache_dir() -> Path:
    """Where machine-local builds live: ``$CODESIGN_CACHE_DIR``, else ``~/.cache/codesign``."""
    configured = os.environ.get("CODESIGN_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "codesign"


def enabled() -> bool:
    """False when ``CODESIGN_FUSED=0`` asks for the torch path."""
    return os.environ.get("CODESIGN_FUSED", "1") != "0"


def _isa_flags() -> tuple[str, ...]:
    """``-mavx2`` where torch found AVX2 on this CPU (AVX-512 implies it), else nothing (the
    kernels then use SSE2, or plain code off x86). The flag enters the build's cache key, so a
    cache shared with a machine without AVX2 never hands it this build."""
    capability = torch.backends.cpu.get_cpu_capability()
    return ("-mavx2",) if capability.startswith(("AVX2", "AVX512")) else ()


@functools.lru_cache(maxsize=None)
def _load(configured_cache_dir: str | None) -> ctypes.CDLL | None:
    """Build (once per content hash) and load the kernel library; None without a compiler.
    Keyed by ``$CODESIGN_CACHE_DIR`` so a hot call costs a dictionary lookup, not a path lookup."""
    from codesign.toolchain.errors import ToolchainError
    from codesign.toolchain.gxx import BuildSpec, build

    output = cache_dir() / "fused_cast" / "libcodesign_fused_cast.so"
    spec = BuildSpec(
        sources=_SOURCES, output=output, shared=True,
        cxxflags=("-std=c++14", "-O3", "-ffp-contract=off", "-fno-trapping-math", "-Wno-psabi", *_isa_flags()),
    )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        build(spec, log_path=output.parent / "build.log", jobs=1, timeout_s=300)
        library = ctypes.CDLL(str(output))
    except (ToolchainError, OSError) as error:
        warnings.warn(f"codesign: fused training casts unavailable ({error}); using the slower torch path",
                      RuntimeWarning, stacklevel=3)
        return None
    library.cs_sat_cast_f32.argtypes = [_PTR, _PTR, _I64, _I64, _I64, _PTR, _PTR, _PTR, ctypes.c_int]
    library.cs_sat_cast_f32.restype = ctypes.c_int
    library.cs_sat_cast_grad_f32.argtypes = [_PTR, _PTR, _PTR, _I64, _I64, _I64, _PTR, _PTR, _PTR, _PTR]
    library.cs_sat_cast_grad_f32.restype = None
    library.cs_affine_cast_f32.argtypes = [_PTR, _PTR, _I64, _I64, _I64, _PTR, _PTR, _PTR, _F32, _F32, _F32,
                                           ctypes.c_int]
    library.cs_affine_cast_f32.restype = ctypes.c_int
    library.cs_affine_cast_grad_f32.argtypes = [_PTR, _PTR, _PTR, _I64, _I64, _I64, _PTR, _PTR, _PTR, _F32, _F32, _PTR,
                                                _PTR, _PTR]
    library.cs_affine_cast_grad_f32.restype = None
    library.cs_observe_f64.argtypes = [_PTR, _I64, _PTR, _PTR, _PTR]
    library.cs_observe_f64.restype = _I64
    return library


def library() -> ctypes.CDLL | None:
    """The loaded kernels, or None when disabled or unavailable."""
    return _load(os.environ.get("CODESIGN_CACHE_DIR")) if enabled() else None


def group_layout(shape: tuple[int, ...], param_shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    """``(outer, groups, inner)`` with ``prod(shape) = outer * groups * inner`` such that a
    parameter view of ``param_shape`` broadcast to ``shape`` takes value ``g`` on every
    element ``(o * groups + g) * inner + i``; None when the view's non-unit axes are not
    one contiguous run that matches ``shape``.
    """
    if len(param_shape) > len(shape):
        return None
    padded = (1,) * (len(shape) - len(param_shape)) + tuple(param_shape)
    spread = [axis for axis, size in enumerate(padded) if size != 1]
    if not spread:
        return 1, 1, math.prod(shape)
    first, last = spread[0], spread[-1]
    if any(padded[axis] != shape[axis] for axis in range(first, last + 1)):
        return None
    return math.prod(shape[:first]), math.prod(shape[first:last + 1]), math.prod(shape[last + 1:])


def _per_group(value: torch.Tensor | float, groups: int) -> torch.Tensor | ctypes.Array:
    """``groups`` float32 values from a scalar or a parameter view, as a contiguous tensor or,
    for a plain float and a few groups, a ctypes array (no torch op: these calls are per
    quantizer and step; a per-element type's thousands of groups fill faster in torch)."""
    if isinstance(value, torch.Tensor):
        flat = value.detach().to(torch.float32).reshape(-1)
        return flat.expand(groups).contiguous() if flat.numel() == 1 else flat.contiguous()
    if groups <= _CTYPES_MAX_GROUPS:
        return (ctypes.c_float * groups)(*([float(value)] * groups))
    return torch.full((groups,), float(value), dtype=torch.float32)


def _address(values: torch.Tensor | ctypes.Array) -> int | ctypes.Array:
    """What a pointer argument of the kernels takes: a tensor's data address or the array."""
    return values.data_ptr() if isinstance(values, torch.Tensor) else values


def _param_shape(*values: torch.Tensor | float) -> tuple[int, ...] | None:
    """The common shape of the tensor parameters (() for scalars); None if they differ."""
    shapes = {tuple(v.shape) for v in values if isinstance(v, torch.Tensor) and v.numel() > 1}
    if len(shapes) > 1:
        return None
    return shapes.pop() if shapes else ()


def _usable(*tensors: torch.Tensor) -> bool:
    return all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors)


def sat_cast(x: torch.Tensor, scale: torch.Tensor | float, raw_lo: torch.Tensor | float,
             raw_hi: torch.Tensor | float, rounding: Rounding) -> torch.Tensor | None:
    """``clamp(round(x * scale), raw_lo, raw_hi) / scale`` in one pass, without autograd.

    Args:
        x: float32 CPU tensor, any shape.
        scale: ``2**F``, a float or a tensor view broadcastable to x.
        raw_lo, raw_hi: saturation bounds in raw units (floats or views of scale's shape;
            +-inf allowed).
        rounding: the rounding mode.

    Returns:
        A new tensor of x's shape, or None where the kernels do not apply.
    """
    lib = library()
    shape = _param_shape(scale, raw_lo, raw_hi)
    if lib is None or shape is None or not _usable(x):
        return None
    layout = group_layout(tuple(x.shape), shape)
    if layout is None:
        return None
    outer, groups, inner = layout
    xc = x.detach().contiguous()
    out = torch.empty_like(xc)
    scale_v, lo_v, hi_v = (_per_group(v, groups) for v in (scale, raw_lo, raw_hi))
    status = lib.cs_sat_cast_f32(xc.data_ptr(), out.data_ptr(), outer, groups, inner, _address(scale_v),
                                 _address(lo_v), _address(hi_v), _ROUNDING_CODES[rounding])
    if status != 0:
        raise RuntimeError(f"fused cast rejected rounding {rounding}")
    return out


def sat_cast_grad(grad: torch.Tensor, x: torch.Tensor, xq: torch.Tensor, lo: torch.Tensor | float,
                  hi: torch.Tensor | float, param_shape: tuple[int, ...] | None = None,
                  ) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The masked straight-through gradient and the per-group sums, in one pass.

    Args:
        grad: upstream gradient, x's shape.
        x: the cast's input; xq: its output (same shape).
        lo, hi: the value range kept by the mask (floats or views broadcastable to x;
            +-inf for no bound).
        param_shape: the parameter view the sums are grouped by (default: lo's and hi's
            shape); scalar bounds apply to every group.

    Returns:
        ``(grad_x, sums)``: ``grad_x = grad`` where ``lo <= x <= hi``, else 0; ``sums`` a
        float64 tensor ``[groups, 3]`` holding, per group, ``sum(grad * xq)``,
        ``sum(grad_x * x)`` and ``sum(grad_x * xq)``. None where the kernels do not apply.
    """
    lib = library()
    bounds_shape = _param_shape(lo, hi)
    shape = bounds_shape if param_shape is None else tuple(param_shape)
    if lib is None or bounds_shape is None or bounds_shape not in ((), shape) or not _usable(grad, x, xq):
        return None
    layout = group_layout(tuple(x.shape), shape)
    if layout is None:
        return None
    outer, groups, inner = layout
    grad_c, x_c, xq_c = grad.contiguous(), x.detach().contiguous(), xq.detach().contiguous()
    grad_x = torch.empty_like(grad_c)
    sums = torch.empty((groups, 3), dtype=torch.float64)
    lo_v, hi_v = _per_group(lo, groups), _per_group(hi, groups)
    lib.cs_sat_cast_grad_f32(grad_c.data_ptr(), x_c.data_ptr(), xq_c.data_ptr(), outer, groups, inner,
                             _address(lo_v), _address(hi_v), grad_x.data_ptr(), sums.data_ptr())
    return grad_x, sums


def channel_layout(x: torch.Tensor, *params: torch.Tensor) -> tuple[int, int, int] | None:
    """``(outer, channels, inner)`` of ``x`` ``[N, C, ...]`` with ``[C]`` parameters, or None
    where the affine kernels do not apply (or would be slower than torch: fewer than 16
    elements per channel and sample, e.g. a BatchNorm1d over ``[N, C]``)."""
    if x.dim() < 2 or not _usable(x, *params) or any(p.shape != (x.shape[1],) for p in params):
        return None
    inner = math.prod(x.shape[2:])
    return (x.shape[0], x.shape[1], inner) if inner >= _AFFINE_MIN_INNER else None


def affine_cast(x: torch.Tensor, p: torch.Tensor, n: torch.Tensor, b: torch.Tensor, scale: float, raw_lo: float,
                raw_hi: float, rounding: Rounding) -> torch.Tensor | None:
    """``cast(a)``, ``a = x * p[c] + b[c]`` where ``x > 0``, else ``x * n[c] + b[c]``, in one
    pass without autograd: a training BatchNorm (``p = n`` its scale, ``b`` its shift) or PReLU
    (``p = 1``, ``n`` its slope, ``b = 0``) with its per-tensor saturating output cast.

    Args:
        x: float32 CPU tensor ``[N, C, ...]``.
        p, n, b: float32 ``[C]`` per-channel slopes and shift.
        scale: ``2**F`` of the output type; raw_lo, raw_hi: its raw bounds (integers of
            magnitude at most 2**22).
        rounding: the output type's rounding mode.

    Returns:
        A new tensor of x's shape, or None where the kernels do not apply.
    """
    lib = library()
    layout = channel_layout(x, p, n, b) if lib is not None else None
    if layout is None or max(abs(raw_lo), abs(raw_hi)) > 2.0**22:
        return None
    xc = x.detach().contiguous()
    p_c, n_c, b_c = (t.detach().contiguous() for t in (p, n, b))
    out = torch.empty_like(xc)
    status = lib.cs_affine_cast_f32(xc.data_ptr(), out.data_ptr(), *layout, p_c.data_ptr(), n_c.data_ptr(),
                                    b_c.data_ptr(), scale, raw_lo, raw_hi, _ROUNDING_CODES[rounding])
    if status != 0:
        raise RuntimeError(f"fused affine cast rejected rounding {rounding}")
    return out


def affine_cast_grad(grad: torch.Tensor, x: torch.Tensor, y: torch.Tensor, p: torch.Tensor, n: torch.Tensor,
                     b: torch.Tensor, lo: float, hi: float,
                     ) -> tuple[torch.Tensor, torch.Tensor, tuple[float, float]] | None:
    """The backward of :func:`affine_cast` in one pass.

    Args:
        grad: upstream gradient; x, y: the forward's input and output; p, n, b: its parameters.
        lo, hi: the output type's value range (the straight-through mask keeps
            ``lo <= a <= hi``).

    Returns:
        ``(grad_x, channel_sums, (sum_gy, sum_ga))``: ``grad_x = g_a * (p or n)`` with ``g_a``
        the masked gradient; ``channel_sums`` float64 ``[C, 3]`` holding per channel
        ``sum(g_a * x)`` over ``x > 0`` and over ``x <= 0`` (the gradients of p and n) and
        ``sum(g_a)`` (of b); ``sum(grad * y)`` and ``sum(g_a * a)`` for the output's binary
        point. None where the kernels do not apply.
    """
    lib = library()
    layout = channel_layout(x, p, n, b) if lib is not None else None
    if layout is None or not _usable(grad, y):
        return None
    grad_c, x_c, y_c = grad.contiguous(), x.detach().contiguous(), y.detach().contiguous()
    p_c, n_c, b_c = (t.detach().contiguous() for t in (p, n, b))
    grad_x = torch.empty_like(grad_c)
    channel_sums = torch.empty((layout[1], 3), dtype=torch.float64)
    sums = (ctypes.c_double * 2)()
    lib.cs_affine_cast_grad_f32(grad_c.data_ptr(), x_c.data_ptr(), y_c.data_ptr(), *layout, p_c.data_ptr(),
                                n_c.data_ptr(), b_c.data_ptr(), lo, hi, grad_x.data_ptr(), channel_sums.data_ptr(),
                                sums)
    return grad_x, channel_sums, (sums[0], sums[1])


__all__ = ["affine_cast", "affine_cast_grad", "cache_dir", "channel_layout", "enabled", "group_layout", "library",
           "sat_cast", "sat_cast_grad"]


@dataclasses.dataclass(frozen=True)
class Observation:
    """The nonzero values of a tensor: ``count`` of them, the smallest ``lo`` and largest
    ``hi``, and ``lowest_exp``, the exponent of the lowest set bit over all of them (every
    value is an integer multiple of ``2**lowest_exp``). ``lo``, ``hi``, ``lowest_exp`` are
    meaningless when ``count`` is 0."""

    count: int
    lo: float
    hi: float
    lowest_exp: int


def observe(x: torch.Tensor) -> Observation | None:
    """One pass over a float64 CPU tensor (see ``Observation``).

    Returns:
        The observation, or None where the kernel does not apply (another dtype or device,
        no kernels) or ``x`` holds NaN or inf; the caller then uses its torch path.
    """
    lib = library()
    if lib is None or x.device.type != "cpu" or x.dtype != torch.float64:
        return None
    xc = x.contiguous()
    lo, hi, lowest = ctypes.c_double(), ctypes.c_double(), ctypes.c_int64()
    count = lib.cs_observe_f64(xc.data_ptr(), xc.numel(), ctypes.byref(lo), ctypes.byref(hi), ctypes.byref(lowest))
    if count < 0:
        return None
    return Observation(int(count), lo.value, hi.value, lowest.value)
