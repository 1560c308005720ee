"""Folding chosen for a board: PE/SIMD and reuse factors from a frames-per-second target.

:func:`choose_folding` picks, for every foldable node of an IR graph (``dense``, ``conv2d``:
``reuse_factor``; ``binary_conv2d``, ``binary_dense``: ``pe`` and ``simd``), the folding that
meets a throughput target (or the highest throughput, ``"max"``) while the analytical estimate of
:mod:`codesign.reports.estimate` stays within ``margin`` of every board resource.

Units: clock in MHz, throughput in frames (images) per second, cycles per image, resources as
counts of LUT, FF, DSP48 and BRAM_18K sites; ``margin`` and utilisation are fractions of the
board's counts.

Algorithm (deterministic; the estimate model is the only judge of cost and cycles):

1. **Legal settings.** For each foldable node the candidates are the divisors of its output count
   (``pe``), of its fan-in (``simd``) and of its products per output pixel (``reuse_factor``),
   kept only where :func:`codesign.codegen.parallelism.resolve` accepts them (the code
   generator's own legality: pe | n_out, simd | fan-in, reuse_factor | n_in for dense). A
   per-layer override fixes the keys it names; the other keys stay free.
2. **Frontier.** Each candidate is estimated alone (:func:`estimate_node`): its cycles per image
   and its cost, the sum over resources of its fraction of the board. Candidates are ordered by
   cost and only those faster than every cheaper one are kept (the cost/cycles Pareto frontier),
   so each step along the frontier is the cheapest setting that is faster than the current one.
3. **Start** every foldable node at the cheapest (most folded) frontier point. If that design
   does not fit within the margin, :class:`FoldingError` says which resource and by how much.
4. **Unfold the bottleneck.** Repeatedly take the slowest node (the first in graph order on a
   tie) and move it to its next frontier point that keeps every resource within the margin.
   Stop when the target is met (a number), or when the bottleneck cannot get faster: it has no
   folding, an override fixes it, it is fully unfolded, or no faster setting fits. For a number,
   stopping short of the target raises :class:`FoldingError` naming the bottleneck, the best fps
   reached and the resource that ran out.
5. **Trim.** Every node is then moved back to its cheapest frontier point whose cycles still
   meet the result (the target's cycle budget, or the reached interval for ``"max"``) where the
   design still fits, so no node is unfolded further than the throughput needs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from codesign.codegen.errors import CodegenError
from codesign.codegen.parallelism import KEYS, resolve
from codesign.ir import Graph, Node
from codesign.reports.estimate import DesignEstimate, Folding, NodeEstimate, estimate, estimate_node

RESOURCES: tuple[str, ...] = ("lut", "ff", "dsp", "bram_18k")
"""The board resources the estimate models (counts of sites)."""
DEFAULT_MARGIN = 0.7

FoldingDict = dict[str, int]


class FoldingError(CodegenError):
    """No folding meets the request.

    Attributes:
        kind: ``"override"`` (a per-layer override is invalid), ``"fit"`` (even the most folded
            design exceeds the margin) or ``"target"`` (the target fps is out of reach).
        layer: the layer the problem is about (the override's, or the bottleneck), if any.
        resource: the resource that ran out, if any.
        best_fps: the highest throughput reached within the margin (``"target"`` only).
    """

    def __init__(self, message: str, *, kind: Literal["override", "fit", "target"], layer: str | None = None,
                 resource: str | None = None, best_fps: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.layer = layer
        self.resource = resource
        self.best_fps = best_fps


@dataclass(frozen=True)
class FoldingChoice:
    """The folding chosen for a board.

    Attributes:
        folding: per foldable node, ``{"pe": p, "simd": s}`` or ``{"reuse_factor": r}`` (what
            :func:`codesign.codegen.generate` takes as ``parallelism``).
        estimate: the design's estimate with this folding.
        fps: frames per second in steady state at the clock (``estimate.fps``).
        bottleneck: the slowest node (first in graph order on a tie); it bounds ``fps``.
        reasons: human-readable lines: where the search started, why it stopped, what moved.
        target_fps: the request (``None`` = ``"max"``).
        margin: the fraction of each resource the design was allowed.
        available: the board's resource counts the margin applied to.
    """

    folding: Mapping[str, Mapping[str, int]]
    estimate: DesignEstimate
    fps: float
    bottleneck: str
    reasons: tuple[str, ...]
    target_fps: float | None
    margin: float
    available: Mapping[str, int] = field(default_factory=dict)

    def utilisation(self) -> dict[str, float]:
        """Fraction of each board resource the estimate uses."""
        return self.estimate.utilisation(self.available)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready record (``folding.json`` of the codegen stage)."""
        return {
            "target_fps": "max" if self.target_fps is None else self.target_fps,
            "resource_margin": self.margin,
            "clock_mhz": self.estimate.clock_mhz,
            "fps": round(self.fps, 3),
            "interval_cycles": self.estimate.interval_cycles,
            "bottleneck": self.bottleneck,
            "folding": {name: dict(fold) for name, fold in self.folding.items()},
            "resources": {r: self.estimate.total(r) for r in RESOURCES},
            "available": dict(self.available),
            "utilisation": {r: round(v, 4) for r, v in self.utilisation().items()},
            "layers": [{"name": n.name, "op": n.op, "cycles": n.cycles, "lut": n.lut, "ff": n.ff, "dsp": n.dsp,
                        "bram_18k": n.bram_18k, **dict(self.folding.get(n.name, {}))} for n in self.estimate.nodes],
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class _Option:
    """One legal folding of a node and its estimate."""

    fold: tuple[tuple[str, int], ...]
    row: NodeEstimate

    @property
    def folding(self) -> FoldingDict:
        return dict(self.fold)


@dataclass(frozen=True)
class _Foldable:
    """A foldable node: its frontier (cheapest first, each faster than the one before)."""

    name: str
    op: str
    frontier: tuple[_Option, ...]
    overridden: tuple[str, ...]


def divisors(n: int) -> list[int]:
    """The positive divisors of ``n`` (``n >= 1``), ascending."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small) | {n // d for d in small})


def _walk_inputs(graph: Graph) -> dict[str, tuple[list[tuple[int, ...]], list[object]]]:
    """Per node: the shapes and types of its inputs (as :func:`estimate` walks them)."""
    shapes: dict[str, tuple[int, ...]] = {i.name: tuple(i.shape) for i in graph.inputs}
    types: dict[str, object] = {i.name: i.type for i in graph.inputs}
    out = {}
    for node in graph.nodes:
        out[node.name] = ([shapes[n] for n in node.inputs], [types[n] for n in node.inputs])
        shapes[node.name], types[node.name] = tuple(node.shape), node.out_type
    return out


def _sizes(node: Node, in_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(n_in, n_out, fan_in) of a foldable node, as the emitters pass them to ``resolve``."""
    weight = node.params["weight"]
    n_out, fan_in = int(weight.shape[0]), int(np.prod(weight.shape[1:]))
    n_in = int(np.prod(in_shape)) if node.op in ("dense", "binary_dense") else int(in_shape[0])
    return n_in, n_out, fan_in


def _legal(node: Node, sizes: tuple[int, int, int], fold: Mapping[str, int]) -> bool:
    n_in, n_out, fan_in = sizes
    try:
        resolve(node.name, node.op, fold, n_in=n_in, n_out=n_out, fan_in=fan_in)
    except CodegenError:
        return False
    return True


def _candidates(node: Node, sizes: tuple[int, int, int], override: Mapping[str, int]) -> list[FoldingDict]:
    """Every legal folding of ``node`` that agrees with ``override`` (step 1 of the algorithm)."""
    _, n_out, fan_in = sizes
    keys = KEYS[node.op]
    values: dict[str, list[int]] = {"pe": divisors(n_out), "simd": divisors(fan_in),
                                    "reuse_factor": divisors(n_out * fan_in)}
    axes = [[override[k]] if k in override else values[k] for k in keys]
    return [fold for combo in product(*axes)
            if _legal(node, sizes, fold := dict(zip(keys, combo)))]


def _cost(row: NodeEstimate, available: Mapping[str, int]) -> float:
    """Sum over resources of the node's fraction of the board (inf where the board has none)."""
    total = 0.0
    for r in RESOURCES:
        used = getattr(row, r)
        if used:
            total += used / available[r] if available[r] else math.inf
    return total


def _frontier(options: Sequence[_Option], available: Mapping[str, int]) -> tuple[_Option, ...]:
    """Cheapest first; an option is kept only when faster than every cheaper one."""
    ranked = sorted(options, key=lambda o: (_cost(o.row, available), o.row.cycles, o.fold))
    kept: list[_Option] = []
    for option in ranked:
        if not kept or option.row.cycles < kept[-1].row.cycles:
            kept.append(option)
    return tuple(kept)


def _check_overrides(graph: Graph, overrides: Mapping[str, Mapping[str, int]]) -> None:
    names = {n.name for n in graph.nodes}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise FoldingError(f"overrides name unknown layers {unknown} (layers: {', '.join(sorted(names))})",
                           kind="override", layer=unknown[0])


def _foldables(graph: Graph, available: Mapping[str, int],
               overrides: Mapping[str, Mapping[str, int]]) -> dict[str, _Foldable]:
    """The frontier of every foldable node; overrides checked with the generator's rules."""
    _check_overrides(graph, overrides)
    inputs = _walk_inputs(graph)
    out: dict[str, _Foldable] = {}
    for node in graph.nodes:
        given = dict(overrides.get(node.name) or {})
        if node.op not in KEYS:
            if given:
                raise FoldingError(f"layer {node.name!r} ({node.op}) takes no folding; override {given} "
                                   "cannot apply", kind="override", layer=node.name)
            continue
        in_shapes, in_types = inputs[node.name]
        sizes = _sizes(node, in_shapes[0])
        try:
            resolve(node.name, node.op, given, n_in=sizes[0], n_out=sizes[1], fan_in=sizes[2])
        except CodegenError as exc:
            raise FoldingError(f"override of layer {node.name!r}: {exc}", kind="override", layer=node.name) from None
        options = [_Option(tuple(sorted(fold.items())), estimate_node(node, in_shapes, in_types, Folding(**fold)))
                   for fold in _candidates(node, sizes, given)]
        out[node.name] = _Foldable(node.name, node.op, _frontier(options, available), tuple(sorted(given)))
    return out


def _fixed_rows(graph: Graph) -> dict[str, NodeEstimate]:
    """Estimates of the nodes without folding (their folding does not matter)."""
    inputs = _walk_inputs(graph)
    return {n.name: estimate_node(n, *inputs[n.name], Folding()) for n in graph.nodes if n.op not in KEYS}


@dataclass
class _State:
    """The search's current design: a frontier index per foldable node (local, never shared)."""

    order: tuple[str, ...]
    fixed: dict[str, NodeEstimate]
    nodes: dict[str, _Foldable]
    index: dict[str, int]

    def row(self, name: str) -> NodeEstimate:
        if name in self.nodes:
            return self.nodes[name].frontier[self.index[name]].row
        return self.fixed[name]

    def rows(self, change: tuple[str, int] | None = None) -> list[NodeEstimate]:
        rows = []
        for name in self.order:
            if change is not None and name == change[0]:
                rows.append(self.nodes[name].frontier[change[1]].row)
            else:
                rows.append(self.row(name))
        return rows

    def bottleneck(self) -> NodeEstimate:
        return max(self.rows(), key=lambda r: r.cycles)  # max keeps the first on a tie


def _totals(rows: Sequence[NodeEstimate]) -> dict[str, int]:
    return {r: int(sum(getattr(row, r) for row in rows)) for r in RESOURCES}


def _over(rows: Sequence[NodeEstimate], available: Mapping[str, int], margin: float) -> list[tuple[str, int, float]]:
    """(resource, used, allowed) for every resource beyond ``margin`` of the board."""
    totals = _totals(rows)
    return [(r, totals[r], margin * available[r]) for r in RESOURCES if totals[r] > margin * available[r]]


def _fps(clock_mhz: float, cycles: int) -> float:
    """Frames per second at ``clock_mhz`` for an interval of ``cycles`` (as DesignEstimate.fps)."""
    return clock_mhz * 1e6 / max(1, cycles)


def _describe(fold: Mapping[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in fold.items()) or "no folding"


def _resource_line(resource: str, used: int, allowed: float, available: Mapping[str, int], margin: float) -> str:
    return (f"{resource.upper()} {used:,} > {allowed:,.0f} allowed ({margin:.0%} of {available[resource]:,}; "
            f"{used / available[resource] if available[resource] else math.inf:.0%} of the board)")


def _start(state: _State, available: Mapping[str, int], margin: float) -> None:
    """Step 3: the most folded design must fit."""
    over = _over(state.rows(), available, margin)
    if not over:
        return
    resource, used, allowed = over[0]
    top = sorted(state.rows(), key=lambda r: (-getattr(r, resource), state.order.index(r.name)))[:3]
    users = ", ".join(f"{r.name} ({r.op}) {getattr(r, resource):,}" for r in top if getattr(r, resource))
    lines = "; ".join(_resource_line(r, u, a, available, margin) for r, u, a in over)
    raise FoldingError(f"even the most folded design does not fit: {lines}: over by {used - allowed:,.0f} "
                       f"{resource.upper()}; largest users: {users}", kind="fit", resource=resource)


def _unfold_step(state: _State, available: Mapping[str, int], margin: float) -> tuple[bool, str, str | None]:
    """Step 4, once: move the bottleneck to its next frontier point that fits.

    Returns:
        (moved, why it could not move, the resource that ran out).
    """
    slow = state.bottleneck()
    node = state.nodes.get(slow.name)
    if node is None:
        return False, (f"bottleneck {slow.name!r} ({slow.op}) has no folding: its {slow.cycles:,} cycles per image "
                       "bound the design"), None
    position = state.index[slow.name]
    fold = _describe(node.frontier[position].folding)
    if position + 1 == len(node.frontier):
        if node.overridden and len(node.frontier) == 1:
            return False, f"bottleneck {slow.name!r} ({slow.op}, {fold}) is fixed by its override", None
        if node.overridden:
            return False, (f"bottleneck {slow.name!r} ({slow.op}, {fold}) is as unfolded as its override of "
                           f"{', '.join(node.overridden)} allows"), None
        return False, f"bottleneck {slow.name!r} ({slow.op}, {fold}) is fully unfolded", None
    first_over: tuple[str, int, float] | None = None
    for nxt in range(position + 1, len(node.frontier)):
        over = _over(state.rows((slow.name, nxt)), available, margin)
        if not over:
            state.index[slow.name] = nxt
            return True, "", None
        first_over = first_over or over[0]
    assert first_over is not None
    resource, used, allowed = first_over
    faster = _describe(node.frontier[position + 1].folding)
    return False, (f"bottleneck {slow.name!r} ({slow.op}, {fold}, {slow.cycles:,} cycles): unfolding it to {faster} "
                   f"needs {_resource_line(resource, used, allowed, available, margin)}"), resource


def _trim(state: _State, budget: int, available: Mapping[str, int], margin: float) -> list[str]:
    """Step 5: each node back to its cheapest point within ``budget`` cycles where it still fits."""
    lines = []
    for name in state.order:
        node = state.nodes.get(name)
        if node is None:
            continue
        cheapest = next(i for i, o in enumerate(node.frontier) if o.row.cycles <= budget or i == state.index[name])
        if cheapest < state.index[name] and not _over(state.rows((name, cheapest)), available, margin):
            before = _describe(node.frontier[state.index[name]].folding)
            state.index[name] = cheapest
            lines.append(f"trimmed {name!r} from {before} to {_describe(node.frontier[cheapest].folding)} "
                         "(no faster than needed)")
    return lines


def _budget(clock_mhz: float, target_fps: float) -> int:
    """The most cycles per image that still give ``target_fps`` (0 when even 1 cycle does not)."""
    cycles = int(clock_mhz * 1e6 // target_fps) + 1
    while cycles > 0 and _fps(clock_mhz, cycles) < target_fps:
        cycles -= 1
    return cycles


def _check_arguments(board_resources: Mapping[str, int], clock_mhz: float, target_fps: float | None,
                     margin: float) -> None:
    if not 0 < margin <= 1:
        raise ValueError(f"margin must be in (0, 1], got {margin!r}")
    if target_fps is not None and not (target_fps > 0 and math.isfinite(target_fps)):
        raise ValueError(f"target_fps must be a positive number of frames per second or None, got {target_fps!r}")
    if not clock_mhz > 0:
        raise ValueError(f"clock_mhz must be positive, got {clock_mhz!r}")
    missing = [r for r in RESOURCES if r not in board_resources]
    if missing:
        raise ValueError(f"board_resources lacks {missing} (needs {list(RESOURCES)})")


def _search(state: _State, clock_mhz: float, target_fps: float | None, available: Mapping[str, int],
            margin: float) -> list[str]:
    """Steps 3 to 5 on ``state``; returns the reasons.

    Raises:
        FoldingError: the most folded design does not fit, or the target is out of reach.
    """
    _start(state, available, margin)
    start = state.bottleneck()
    reasons = [f"start: every foldable layer at its most folded legal setting: "
               f"{_fps(clock_mhz, start.cycles):,.0f} fps, bottleneck {start.name!r} ({start.cycles:,} cycles)"]
    why, resource = "", None
    while target_fps is None or _fps(clock_mhz, state.bottleneck().cycles) < target_fps:
        moved, why, resource = _unfold_step(state, available, margin)
        if not moved:
            break
    slow = state.bottleneck()
    best = _fps(clock_mhz, slow.cycles)
    if target_fps is None:
        reasons.append(f"stopped at {best:,.0f} fps: {why}")
    elif best < target_fps:
        raise FoldingError(f"target {target_fps:,.0f} fps is not reachable within {margin:.0%} of the board: best "
                           f"{best:,.0f} fps at {clock_mhz:g} MHz; {why}", kind="target", layer=slow.name,
                           resource=resource, best_fps=best)
    else:
        reasons.append(f"target {target_fps:,.0f} fps met: {best:,.0f} fps")
    budget = slow.cycles if target_fps is None else _budget(clock_mhz, target_fps)
    reasons += _trim(state, budget, available, margin)
    for name, node in state.nodes.items():
        chosen = node.frontier[state.index[name]]
        if state.index[name]:
            reasons.append(f"{name}: {_describe(chosen.folding)} ({node.frontier[0].row.cycles:,} -> "
                           f"{chosen.row.cycles:,} cycles)")
    return reasons


def choose_folding(graph: Graph, board_resources: Mapping[str, int], clock_mhz: float,
                   target_fps: float | None = None, margin: float = DEFAULT_MARGIN,
                   overrides: Mapping[str, Mapping[str, int]] | None = None) -> FoldingChoice:
    """Pick the folding of every foldable node of ``graph`` for a board (see the module docstring).

    Args:
        graph: a validated IR graph.
        board_resources: the board's counts by resource: ``lut``, ``ff``, ``dsp``, ``bram_18k``.
        clock_mhz: the accelerator clock (MHz).
        target_fps: frames per second to reach, or ``None`` for the highest reachable ("max").
        margin: the fraction of each resource the estimate may use, in (0, 1].
        overrides: per layer, folding keys fixed by the caller (``{"conv1": {"pe": 4}}``).

    Returns:
        The chosen folding, its estimate, fps, bottleneck and the reasons.

    Raises:
        ValueError: a margin outside (0, 1], a non-positive target or clock, a missing resource.
        FoldingError: an invalid override, a most-folded design beyond the margin (names the
            resource and the excess), or an unreachable target (names the bottleneck, the best
            fps and the resource that ran out).
    """
    _check_arguments(board_resources, clock_mhz, target_fps, margin)
    available = MappingProxyType({r: int(board_resources[r]) for r in RESOURCES})
    nodes = _foldables(graph, available, overrides or {})
    state = _State(tuple(n.name for n in graph.nodes), _fixed_rows(graph), nodes, {name: 0 for name in nodes})
    reasons = _search(state, clock_mhz, target_fps, available, margin)
    folding = {name: MappingProxyType(node.frontier[state.index[name]].folding) for name, node in nodes.items()}
    design = estimate(graph, clock_mhz, {name: Folding(**fold) for name, fold in folding.items()})
    slowest = max(design.nodes, key=lambda r: r.cycles)  # the first on a tie, as the search
    return FoldingChoice(MappingProxyType(folding), design, design.fps, slowest.name, tuple(reasons), target_fps,
                         margin, available)


__all__ = ["DEFAULT_MARGIN", "RESOURCES", "FoldingChoice", "FoldingError", "choose_folding", "divisors"]
