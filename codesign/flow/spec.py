"""Flow files (``flows/<name>.yaml``): the validated, frozen description of one flow.

:func:`load_flow` reads a YAML file into a :class:`FlowSpec`. Every way a file can be wrong
(unreadable bytes, YAML syntax, duplicate or unknown keys, wrong types, values out of range,
identifiers that would break C++ or TCL) ends in one :class:`FlowError` whose message names the
file, each offending field by its dotted path and the allowed values.

Relative paths in a flow file (``board`` given as a path, ``dataset.path``) are relative to the
flow file's directory; the loaded spec holds them absolute, and ``hls.clock_mhz`` defaults to the
board's clock, so a loaded spec is fully resolved.
"""

from __future__ import annotations

import keyword
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from codesign.flow.board import BoardError, load_board

#: Every stage a flow can run, in the only order they can run in.
STAGE_ORDER: tuple[str, ...] = (
    "train", "export", "codegen", "csim", "estimate", "synth", "cosim", "bitstream", "package",
    "deploy",
)
StageName = Literal[
    "train", "export", "codegen", "csim", "estimate", "synth", "cosim", "bitstream", "package",
    "deploy",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# C++ keywords and alternative tokens (Python's keywords are covered by the keyword module), plus
# names the HLS flow itself reserves.
_CPP_KEYWORDS = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
    char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
    co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
    extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
    nullptr operator or or_eq private protected public register reinterpret_cast requires return
    short signed sizeof static static_assert static_cast struct switch template this thread_local
    throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while
    xor xor_eq main""".split()
)


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an identifier (allowed: 1-64 letters, digits and '_', not starting "
            "with a digit)"
        )
    if value in _CPP_KEYWORDS or keyword.iskeyword(value) or value.startswith("__"):
        raise ValueError(
            f"{value!r} is reserved (a C++ or Python keyword, or starts with '__'); choose another"
        )
    return value


def _plain_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters and newlines are not allowed (allowed: one line of text)")
    return value


Identifier = Annotated[str, Field(min_length=1), AfterValidator(_identifier)]
"""A name that reaches C++ or TCL: a C identifier of at most 64 characters, not a keyword."""
Text = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_plain_text)]
"""A free string (a path, a tool option): one line without control characters."""
Scalar = Union[StrictBool, int, float, Text]
OptionValue = Union[Scalar, list[Scalar]]


class _Section(BaseModel):
    """A part of a flow file: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DatasetSpec(_Section):
    """Which data the flow trains and tests on."""

    name: Identifier = Field(description="a dataset of codesign.data (digits, mnist, cifar10...)")
    path: Text | None = Field(default=None, description="local file or folder of the data")
    limit: int | None = Field(default=None, gt=0, description="use at most this many samples")
    options: dict[Identifier, OptionValue] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known_dataset(cls, value: str) -> str:
        from codesign.data.registry import DATASETS

        if value not in DATASETS:
            raise ValueError(f"unknown dataset {value!r} (allowed: {', '.join(sorted(DATASETS))})")
        return value


class ModelSpec(_Section):
    """Which network of the model zoo, and its size options."""

    name: Identifier
    options: dict[Identifier, OptionValue] = Field(
        default_factory=dict, description="constructor options, e.g. width, depth, classes"
    )


class BetaSchedule(_Section):
    """HGQ's EBOPs weight beta over training: from ``start`` to ``end`` after warm-up."""

    start: float = Field(default=1e-6, ge=0)
    end: float = Field(default=1e-4, ge=0)
    schedule: Literal["constant", "linear", "exponential"] = "exponential"
    warmup_epochs: int = Field(default=0, ge=0)


Rounding = Literal[
    "AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV"
]
Overflow = Literal["AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM"]


class QuantizationSpec(_Section):
    """The quantization scheme and its options (DESIGN.md, "Scheme definitions")."""

    scheme: Literal["qfx", "khot", "hgq", "ptq", "fixed"]
    width: int = Field(default=8, ge=1, le=53, description="word length W of weights/activations")
    int_bits: int | None = Field(default=None, ge=-64, le=64, description="initial integer bits I")
    rounding: Rounding = "AP_RND"
    overflow: Overflow = "AP_SAT"
    k: int = Field(default=2, ge=1, le=8, description="K-hot digits per value (khot only)")
    beta: BetaSchedule | None = Field(default=None, description="EBOPs weight (hgq only)")
    calibration_samples: int = Field(default=512, gt=0, description="PTQ calibration samples")
    options: dict[Identifier, OptionValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _scheme_options(self) -> QuantizationSpec:
        if self.beta is not None and self.scheme != "hgq":
            raise ValueError(f"beta applies to scheme hgq only, not {self.scheme}")
        return self


class TrainingSpec(_Section):
    """The optimiser, its schedule and the run's seed and device."""

    epochs: int = Field(default=10, ge=0, le=100_000)
    batch_size: int = Field(default=64, ge=1, le=1_000_000)
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    lr: float = Field(default=1e-3, gt=0, le=10)
    weight_decay: float = Field(default=0.0, ge=0)
    schedule: Literal["constant", "cosine", "step", "exponential"] = "cosine"
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    device: Annotated[str, Field(pattern=r"^(auto|cpu|cuda(:[0-9]{1,2})?|mps)$")] = "auto"


class ExportSpec(_Section):
    """Options of the IR export."""

    test_vectors: int = Field(
        default=100, ge=1, le=1_000_000, description="golden vectors for csim, cosim and the board"
    )


class LayerParallelism(_Section):
    """How one layer is folded: ``None`` inherits the flow's default."""

    reuse_factor: int | None = Field(default=None, ge=1, le=1_000_000)
    pe: int | None = Field(default=None, ge=1, le=4096, description="processing elements")
    simd: int | None = Field(default=None, ge=1, le=4096, description="input lanes per PE")


class DefaultParallelism(_Section):
    """Folding of every layer without an override."""

    reuse_factor: int = Field(default=1, ge=1, le=1_000_000)
    pe: int = Field(default=1, ge=1, le=4096)
    simd: int = Field(default=1, ge=1, le=4096)


class ParallelismSpec(_Section):
    """Default folding and per-layer overrides keyed by the IR layer name."""

    default: DefaultParallelism = Field(default_factory=DefaultParallelism)
    layers: dict[Identifier, LayerParallelism] = Field(default_factory=dict)

    def for_layer(self, name: str) -> DefaultParallelism:
        """The folding of layer ``name``: its override over the default."""
        override = self.layers.get(name)
        if override is None:
            return self.default
        changes = {k: v for k, v in override.model_dump().items() if v is not None}
        return self.default.model_copy(update=changes)


class HlsSpec(_Section):
    """The generated Vitis HLS project.

    ``target_fps`` (frames per second, or ``"max"``) lets the codegen stage choose the folding
    for the board (``codesign.codegen.autofold``) within ``resource_margin`` of each board
    resource; ``hls.parallelism.layers`` entries are then fixed overrides and
    ``hls.parallelism.default`` may not be given. ``None`` keeps the explicit folding of
    ``hls.parallelism``.
    """

    top: Identifier | None = Field(default=None, description="top function; default <name>_top")
    clock_mhz: float | None = Field(default=None, gt=0, le=1000, description="default: the board's")
    interface: Literal["stream", "mm"] = "stream"
    parallelism: ParallelismSpec = Field(default_factory=ParallelismSpec)
    target_fps: float | Literal["max"] | None = Field(
        default=None, description="frames per second the chosen folding must reach, or max; null: explicit folding"
    )
    resource_margin: float = Field(
        default=0.7, gt=0, le=1, description="fraction of each board resource the chosen folding may use"
    )

    @field_validator("target_fps", mode="before")
    @classmethod
    def _target(cls, value: Any) -> Any:
        if value is None or value == "max":
            return value
        number = value
        if isinstance(value, str):  # YAML reads 1e4 as a string
            try:
                number = float(value)
            except ValueError:
                pass
        if isinstance(number, (int, float)) and not isinstance(number, bool) and 0 < number < float("inf"):
            return float(number)
        raise ValueError(f"must be a positive number of frames per second, 'max' or null (got {_short(value)})")

    @model_validator(mode="after")
    def _no_default_with_target(self) -> HlsSpec:
        # the all-ones default is what a resolved flow.yaml holds: it must load again
        default = self.parallelism.default
        if self.target_fps is not None and "default" in self.parallelism.model_fields_set and (
                default != DefaultParallelism()):
            raise ValueError(
                "hls.parallelism.default cannot be set together with hls.target_fps (the folding is chosen for "
                "the target; fix single layers with hls.parallelism.layers, or remove hls.target_fps)"
            )
        return self


class ToolsSpec(_Section):
    """Vendor tool options."""

    vitis_hls_timeout_s: float = Field(default=4 * 3600, gt=0)
    vivado_timeout_s: float = Field(default=8 * 3600, gt=0)
    csim_timeout_s: float = Field(default=1800, gt=0)
    hls_invocation: Literal["auto", "vitis_hls", "vitis-run"] = Field(
        default="auto", description="classic `vitis_hls -f` or `vitis-run --mode hls --tcl`"
    )
    jobs: int = Field(default=2, ge=1, le=256, description="parallel Vivado jobs")


class FlowSpec(_Section):
    """One flow: what to train, how to quantize it, and the hardware to build from it."""

    name: Identifier
    board: Text = Field(description="a board of boards/ by name, or a board file path")
    dataset: DatasetSpec
    model: ModelSpec
    quantization: QuantizationSpec
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    export: ExportSpec = Field(default_factory=ExportSpec)
    hls: HlsSpec = Field(default_factory=HlsSpec)
    stages: list[StageName] = Field(default_factory=lambda: list(STAGE_ORDER))
    required: list[StageName] = Field(default_factory=list)
    tools: ToolsSpec = Field(default_factory=ToolsSpec)

    @field_validator("stages")
    @classmethod
    def _stages_in_order(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"list at least one stage (allowed, in order: {', '.join(STAGE_ORDER)})")
        positions = [STAGE_ORDER.index(stage) for stage in value]
        if positions != sorted(set(positions)):
            raise ValueError(
                "stages must be distinct and in the order " + " -> ".join(STAGE_ORDER)
            )
        return value

    @model_validator(mode="after")
    def _required_listed(self) -> FlowSpec:
        missing = [stage for stage in self.required if stage not in self.stages]
        if missing:
            raise ValueError(
                f"required stage(s) {', '.join(missing)} not in stages (allowed: "
                f"{', '.join(self.stages)})"
            )
        return self

    def section(self, *paths: str) -> dict[str, Any]:
        """JSON values of the named parts, keyed by dotted path: ``section("hls", "training.seed")``.

        The usual way for a stage to build its config slice.
        """
        data = self.model_dump(mode="json")
        picked: dict[str, Any] = {}
        for path in paths:
            value: Any = data
            for part in path.split("."):
                if not isinstance(value, dict) or part not in value:
                    raise KeyError(f"flow spec has no field {path!r}")
                value = value[part]
            picked[path] = value
        return picked


class FlowError(ValueError):
    """A flow file is unreadable or invalid.

    Attributes:
        path: the flow file.
        problems: one ``field.path: message`` line per problem.
    """

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        if len(problems) == 1:
            text = f"{path}: {problems[0]}"
        else:
            text = f"{path}: {len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems)
        super().__init__(text)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys in a mapping."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in mapping
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise FlowError(path, ["flow file not found"]) from None
    except IsADirectoryError:
        raise FlowError(path, ["is a directory, not a flow file"]) from None
    except UnicodeDecodeError as exc:
        raise FlowError(path, [f"not UTF-8 text (byte {exc.start})"]) from None
    except OSError as exc:
        raise FlowError(path, [f"cannot read ({exc.strerror})"]) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise FlowError(path, [f"invalid YAML at {where}{problem}"]) from None
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise FlowError(path, [f"not valid YAML ({type(exc).__name__}: {exc})"]) from None


def _unwrap(annotation: Any) -> Iterator[Any]:
    """The model, dict and list types inside an annotation (through Optional, Annotated)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _unwrap(get_args(annotation)[0])
    elif origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            yield from _unwrap(arg)
    else:
        yield annotation


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The section model that the location ``loc`` (a pydantic error location) points into."""
    current: Any = FlowSpec
    for part in loc:
        nxt = None
        for candidate in _unwrap(current):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                field = candidate.model_fields.get(str(part))
                if field is not None:
                    nxt = field.annotation
            elif get_origin(candidate) in (dict, list):
                nxt = get_args(candidate)[-1]
            if nxt is not None:
                break
        if nxt is None:
            return None
        current = nxt
    for candidate in _unwrap(current):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _problem(error: Any) -> str:
    loc = tuple(part for part in error["loc"] if not _is_union_branch(part))
    field = ".".join(str(part) for part in loc) or "<top level>"
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = ", ".join(model.model_fields) if model else "none"
        return f"{field}: unknown key (allowed keys here: {allowed})"
    if kind == "missing":
        return f"{field}: required field missing"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if kind == "model_type":
        model = _model_at(loc)
        allowed = ", ".join(model.model_fields) if model else ""
        return f"{field}: expected a mapping (allowed keys: {allowed})"
    if kind == "value_error" and isinstance(error.get("input"), dict):  # a check across a section's fields
        return message if message.startswith(f"{field}.") else f"{field}: {message}"
    got = _short(error.get("input"))
    return f"{field}: {message}" if got in message else f"{field}: {message} (got {got})"


def _is_union_branch(part: Any) -> bool:
    """Pydantic inserts union branch names ('int', 'list[...]', 'function-after[...]') into locations."""
    return isinstance(part, str) and (
        part in ("int", "float", "bool", "str") or "[" in part or part.startswith("function-")
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _resolve_path(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _resolve(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """Relative paths made absolute against the flow file's directory (before validation)."""
    base = path.resolve().parent
    board = data.get("board")
    if isinstance(board, str) and ("/" in board or board.endswith((".yaml", ".yml"))):
        data = {**data, "board": _resolve_path(board, base)}
    dataset = data.get("dataset")
    if isinstance(dataset, dict) and isinstance(dataset.get("path"), str) and dataset["path"]:
        data = {**data, "dataset": {**dataset, "path": _resolve_path(dataset["path"], base)}}
    return data


def validate_flow(data: Any, path: Path) -> FlowSpec:
    """Validate already-parsed flow data; defaults filled from the board.

    Raises:
        FlowError: one message naming ``path`` and every invalid field.
    """
    if not isinstance(data, dict):
        kind = "an empty file" if data is None else f"a {type(data).__name__}"
        raise FlowError(path, [f"<top level>: expected a mapping of flow fields, got {kind}"])
    data = _resolve(data, path)
    problems: list[str] = []
    board = None
    if isinstance(data.get("board"), str) and data["board"] and not _CONTROL.search(data["board"]):
        try:
            board = load_board(data["board"])
        except BoardError as exc:
            problems.append(f"board: {exc}")
        except OSError as exc:
            problems.append(f"board: cannot read {data['board']!r} ({exc.strerror})")
    try:
        spec = FlowSpec.model_validate(data)
    except ValidationError as exc:
        problems[:0] = [_problem(error) for error in exc.errors()]
    except (TypeError, RuntimeError) as exc:
        problems.insert(0, f"<top level>: cannot interpret the file ({exc})")
    if problems or board is None:
        raise FlowError(path, problems or ["board: no board given"])
    hls = spec.hls.model_copy(
        update={
            "clock_mhz": spec.hls.clock_mhz or board.default_clock_mhz,
            "top": spec.hls.top or f"{spec.name}_top",
        }
    )
    return spec.model_copy(update={"hls": hls})


def load_flow(path: str | Path) -> FlowSpec:
    """Read and validate a flow file.

    Raises:
        FlowError: the file is missing, not UTF-8, not YAML, or a field is invalid; the message
            names the file, each field path and its allowed values.
    """
    path = Path(path)
    return validate_flow(_read_yaml(path), path)


def flow_to_yaml(spec: FlowSpec) -> str:
    """The resolved spec as YAML text, in field order (what a run directory's flow.yaml holds)."""
    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


__all__ = [
    "STAGE_ORDER",
    "FlowError",
    "FlowSpec",
    "flow_to_yaml",
    "load_flow",
    "validate_flow",
]
