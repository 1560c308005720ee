"""The dataflow region: streams, explicit forks, processes and stream depths.

Every tensor edge gets its own stream with one producer and one consumer. A tensor with k
consumers (a graph output counts as one) is copied by a chain of k-1 ``codesign::fork``
processes.

Stream depths. Every stream holds 2 beats, except the streams leaving a fork that feed a
join (the first node reachable from two branches, e.g. a residual add). While the longest
branch fills its line buffers, every other branch must absorb the beats the fork keeps
writing, or the fork stalls and the join starves: a deadlock. For a branch b (the nodes
on paths from its first consumer to the join),

    lag(b) = sum over nodes n of b of  delay(n) * pixels(fork tensor) / in_pixels(n)  + 2

where delay(n) is the number of input beats n reads before its first output (a K x K
convolution over a padded row of width Wp with vertical stride s: (K - 1 + s - 1) * Wp +
K; a pool window likewise; global pooling, flatten and dense: the whole input; element-wise
kernels: 1), scaled to beats of the fork's tensor, plus the 2 beats of each node's output
stream. The stream from the fork into branch b then gets depth

    depth(b) = max_b' lag(b') - lag(b) + 2     (at least 2)

and the intermediate streams of a fork chain the largest depth below them. Depths may be
overridden by stream name (tests use that to provoke a deadlock).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from codesign.codegen.context import Argument, Config, Constant, Layer, Typedef
from codesign.codegen.errors import CodegenError
from codesign.codegen.tensors import Tensor
from codesign.ir import Graph

DEFAULT_DEPTH = 2


@dataclass(frozen=True)
class Stream:
    """An internal stream of the dataflow region."""

    name: str
    beat: str
    depth: int


@dataclass(frozen=True)
class Process:
    """One call in the dataflow region: ``kernel<config>(args...)`` (streams, then constants)."""

    label: str
    kernel: str
    config: str
    args: tuple[Argument, ...]


@dataclass(frozen=True)
class Dataflow:
    """The region: its streams, processes (topological order) and fork configs."""

    streams: tuple[Stream, ...]
    processes: tuple[Process, ...]
    fork_configs: tuple[Config, ...]


@dataclass(frozen=True)
class Endpoints:
    """Where graph inputs come from and graph outputs go: stream names per tensor."""

    sources: Mapping[str, str]
    sinks: Mapping[str, str]
    internal: tuple[Stream, ...]
    processes_before: tuple[Process, ...]
    processes_after: tuple[Process, ...]


def _descendants(graph: Graph, start: str) -> set[str]:
    found = {start}
    for node in graph.nodes:
        if any(i in found for i in node.inputs):
            found.add(node.name)
    return found


def _ancestors(graph: Graph, end: str) -> set[str]:
    found = {end}
    for node in reversed(graph.nodes):
        if node.name in found:
            found.update(node.inputs)
    return found


def _fork_depths(graph: Graph, tensor: Tensor, consumers: list[str], layers: Mapping[str, Layer]) -> list[int]:
    """The depth of each fork branch stream (see the module docstring)."""
    reach = [_descendants(graph, c) if c in layers else set() for c in consumers]
    order = [n.name for n in graph.nodes]
    joins = [n for n in order if sum(n in r for r in reach) >= 2]
    if not joins:
        return [DEFAULT_DEPTH] * len(consumers)
    join = joins[0]
    before_join = _ancestors(graph, join) - {join}
    lags = []
    for consumer, r in zip(consumers, reach):
        if consumer == join:
            lags.append(0)
            continue
        branch = [n for n in order if n in r and n in before_join]
        lags.append(sum(math.ceil(layers[n].delay_beats * tensor.pixels / max(1, layers[n].in_pixels)) + 2
                        for n in branch))
    return [max(DEFAULT_DEPTH, max(lags) - lag + DEFAULT_DEPTH) for lag in lags]


def build_dataflow(graph: Graph, tensors: Mapping[str, Tensor], layers: Mapping[str, Layer],
                   endpoints: Endpoints, overrides: Mapping[str, int]) -> Dataflow:
    """Streams and processes for the layers, wired between the endpoints.

    Raises:
        CodegenError: an override names no stream, or a depth below 1.
    """
    consumers: dict[str, list[str]] = {name: [] for name in tensors}
    for node in graph.nodes:
        for i in node.inputs:
            consumers[i].append(node.name)
    for out in graph.outputs:
        consumers[out].append("")  # the graph output sink
    streams: list[Stream] = list(endpoints.internal)
    forks: dict[str, list[Process]] = {}
    fork_configs: list[Config] = []
    # edge (tensor, consumer occurrence) -> stream read by the consumer
    inbound: dict[tuple[str, int], str] = {}
    outbound: dict[str, str] = {}
    for name, tensor in tensors.items():
        users = consumers[name]
        source = endpoints.sources.get(name)
        if not users:
            raise CodegenError(f"tensor {name!r} is never used (dead nodes are not supported)")
        sink_names = [endpoints.sinks[name] if u == "" else None for u in users]
        if len(users) == 1:
            if source is not None and sink_names[0] is not None:
                raise CodegenError(f"graph input {name!r} is also a graph output")
            stream = source or sink_names[0] or f"{name}_stream"
            if stream not in (source, sink_names[0]):
                streams.append(Stream(stream, tensor.beat_name, DEFAULT_DEPTH))
            outbound[name] = stream
            inbound[(name, 0)] = stream
            continue
        head = source or f"{name}_stream"
        if source is None:
            streams.append(Stream(head, tensor.beat_name, DEFAULT_DEPTH))
        outbound[name] = head
        depths = _fork_depths(graph, tensor, users, layers)
        branch = [sink_names[i] or f"{name}_stream{i}" for i in range(len(users))]
        for i, b in enumerate(branch):
            inbound[(name, i)] = b
            if sink_names[i] is None:
                streams.append(Stream(b, tensor.beat_name, depths[i]))
        current = head
        for i in range(len(users) - 1):
            last = i == len(users) - 2
            rest = branch[i + 1] if last else f"{name}_rest{i}"
            if not last:
                streams.append(Stream(rest, tensor.beat_name, max(depths[i + 1:])))
            config = Config(f"{name}_fork{i}", (Constant("unsigned", "n_beats", str(tensor.pixels)),),
                            (Typedef("beat_t", tensor.beat_name),))
            fork_configs.append(config)
            forks.setdefault(name, []).append(Process(f"{name}_fork{i}", "codesign::fork", config.name,
                                                      tuple(Argument(s) for s in (current, branch[i], rest))))
            current = rest
    processes: list[Process] = list(endpoints.processes_before)
    for name in endpoints.sources:
        processes += forks.get(name, [])
    for node in graph.nodes:
        layer = layers[node.name]
        ins = []
        for i in node.inputs:
            occurrence = sum(1 for k in ins if k[0] == i)
            index = [j for j, u in enumerate(consumers[i]) if u == node.name][occurrence]
            ins.append((i, index))
        streams_used = (*(inbound[k] for k in ins), outbound[node.name])
        processes.append(Process(node.name, layer.kernel, layer.config.name,
                                 (*(Argument(s) for s in streams_used), *layer.params)))
        processes += forks.get(node.name, [])
    processes += list(endpoints.processes_after)
    by_name = {s.name: s for s in streams}
    for stream_name, depth in overrides.items():
        if stream_name not in by_name:
            raise CodegenError(f"stream depth override names no stream: {stream_name!r}; "
                               f"streams: {sorted(by_name)}")
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise CodegenError(f"stream depth override {stream_name!r}: must be an integer >= 1, got {depth!r}")
        by_name[stream_name] = Stream(stream_name, by_name[stream_name].beat, depth)
    return Dataflow(tuple(by_name.values()), tuple(processes), tuple(fork_configs))
