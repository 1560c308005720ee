"""The ``codesign`` command line: each command parses its arguments and calls one library function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from codesign import __version__
from codesign.flow.spec import STAGE_ORDER

_STAGE = click.Choice(STAGE_ORDER)


def _fail(message: str, code: int) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="codesign")
def main() -> None:
    """codesign: train quantized networks and generate bit-exact FPGA accelerators."""


@main.command("type")
@click.argument("spelling")
def type_info(spelling: str) -> None:
    """Show the range and resolution of an ap_fixed type, e.g. 'ap_fixed<8,3,AP_RND,AP_SAT>'."""
    from codesign.fixed import FixedType

    try:
        t = FixedType.parse(spelling)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="SPELLING") from exc
    click.echo(f"type        {t}")
    click.echo(f"width       {t.width} bits ({'signed' if t.signed else 'unsigned'})")
    click.echo(f"binary pt   {t.int_bits} integer, {t.frac_bits} fractional bits")
    click.echo(f"lsb         {t.lsb!r}")
    click.echo(f"range       [{t.min!r}, {t.max!r}]")
    click.echo(f"raw range   [{t.raw_min}, {t.raw_max}]")
    click.echo(f"modes       {t.rounding.cpp}, {t.overflow.cpp}")


@main.command("report")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("results/report"),
              show_default=True, help="Directory for runs.csv, modules.csv and the PNG plots.")
def report(run_dirs: tuple[Path, ...], out_dir: Path) -> None:
    """Collect the reports of one or more run directories into CSV tables and plots."""
    from codesign.reports import ReportError, report_runs

    try:
        result = report_runs(run_dirs, out_dir)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {result.runs_csv}, {result.modules_csv} and {len(result.plots)} plot(s)")
    for skipped in result.skipped_plots:
        click.echo(f"skipped plot: {skipped}")


@main.command("lint")
@click.argument("project_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def lint(project_dir: Path) -> None:
    """Synthesizability lint of a generated HLS project (exit code 1 when anything is found)."""
    from codesign.codegen.errors import CodegenError
    from codesign.codegen.lint import lint_project, project_sources

    try:
        findings = lint_project(project_dir)
    except CodegenError as exc:
        _fail(str(exc), 2)
    for finding in findings:
        click.echo(str(finding))
    click.echo(f"lint: {len(project_sources(project_dir))} files, {len(findings)} findings")
    if findings:
        sys.exit(1)


@main.command("validate")
@click.argument("flow", type=click.Path(path_type=Path))
def validate(flow: Path) -> None:
    """Check a flow file without running it (exit code 2 when it is invalid)."""
    from codesign.flow.spec import FlowError, load_flow

    try:
        spec = load_flow(flow)
    except FlowError as exc:
        _fail(str(exc), 2)
    click.echo(
        f"{flow}: ok (flow {spec.name}, board {spec.board}, {spec.hls.clock_mhz:g} MHz, "
        f"stages: {' '.join(spec.stages)}; required: {' '.join(spec.required) or 'none'})"
    )


@main.command("run")
@click.argument("flow", type=click.Path(path_type=Path))
@click.option("--explain", is_flag=True, help="Say why each stage would run or not; run nothing.")
@click.option("--from", "from_stage", type=_STAGE, help="First stage to run.")
@click.option("--to", "to_stage", type=_STAGE, help="Last stage to run.")
@click.option("--only", multiple=True, type=_STAGE, help="Run only this stage (repeatable).")
@click.option("--force", is_flag=True, help="Run the selected stages even when cached.")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Use (or resume) this run directory instead of a new one under results/runs/.")
@click.option("--require", multiple=True, type=_STAGE,
              help="Treat this stage as required: exit code 2 if it is skipped (repeatable).")
@click.option("--data", type=click.Path(exists=True, path_type=Path),
              help="Dataset location, overriding the flow's dataset.path.")
def run(
    flow: Path, explain: bool, from_stage: str | None, to_stage: str | None,
    only: tuple[str, ...], force: bool, run_dir: Path | None, require: tuple[str, ...],
    data: Path | None,
) -> None:
    """Run a flow: train, export, codegen, csim, estimate, synth, cosim, bitstream, package, deploy.

    Exit code 0 when every stage is done, cached or skipped; 1 when a stage failed; 2 when a
    required stage was skipped, or the flow file or options are invalid.
    """
    from codesign.flow.rundir import RUNS_ROOT, RunDirError, latest_run_dir, open_run_dir
    from codesign.flow.runner import RunnerError, RunOptions, explain_flow, run_flow
    from codesign.flow.spec import FlowError, load_flow
    from codesign.flow.stages import default_stages

    try:
        spec = load_flow(flow)
    except FlowError as exc:
        _fail(str(exc), 2)
    options = RunOptions(from_stage, to_stage, only, force, require, data)
    try:
        if explain:
            target = run_dir or latest_run_dir(spec.name) or RUNS_ROOT / spec.name / "<new run>"
            click.echo(f"{spec.name}: explaining against {target}")
            for line in explain_flow(spec, default_stages(), target, options):
                click.echo(str(line))
            return
        summary = run_flow(spec, default_stages(), open_run_dir(spec.name, run_dir), options)
    except (RunnerError, RunDirError) as exc:
        _fail(str(exc), 2)
    sys.exit(summary.exit_code)


@main.command("train")
@click.option("--model", "model_name", required=True, help="Zoo model: jet_mlp, digits_cnn, resnet20, bnn.")
@click.option("--dataset", default="digits", show_default=True, help="digits, mnist, fashion_mnist, cifar10, svhn, jets.")
@click.option("--data", "data_path", type=click.Path(path_type=Path), default=None,
              help="Local dataset file or directory (every dataset but digits needs one).")
@click.option("--limit", type=int, default=None, help="Subsample each split to at most this many samples.")
@click.option("--scheme", type=click.Choice(["qfx", "khot", "hgq", "fixed", "frozen", "ptq"]), default="qfx",
              show_default=True, help="Quantization scheme (frozen: calibrated binary points kept fixed; "
              "ptq: train a 20-bit reference, then quantize without retraining).")
@click.option("--width", type=int, default=8, show_default=True, help="Word length of every quantized tensor.")
@click.option("--k", type=int, default=2, show_default=True, help="K-hot digits per constant.")
@click.option("--option", "model_options", multiple=True, metavar="KEY=VALUE",
              help="Model builder option (repeatable), e.g. --option channels=64.")
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--batch-size", type=int, default=64, show_default=True)
@click.option("--lr", type=float, default=3e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--threads", type=int, default=0, help="Torch CPU threads (0: torch's default).")
@click.option("--beta", type=float, default=0.0, show_default=True, help="HGQ EBOPs penalty weight.")
@click.option("--augment", type=click.Choice(["none", "shift"]), default="none", show_default=True)
@click.option("--label-smoothing", type=float, default=0.0, show_default=True,
              help="Cross-entropy target smoothing in [0, 1) (the flagship BNN trains with 0.1).")
@click.option("--run-dir", type=click.Path(path_type=Path), default=None,
              help="Output directory (default results/runs/train/<model>-<scheme>-w<width>-<time>).")
def train(model_name: str, dataset: str, data_path: Path | None, limit: int | None, scheme: str, width: int,
          k: int, model_options: tuple[str, ...], epochs: int, batch_size: int, lr: float, seed: int,
          device: str, threads: int, beta: float, augment: str, label_smoothing: float,
          run_dir: Path | None) -> None:
    """Train a zoo model with quantization-aware training and write a run directory."""
    import yaml

    from codesign.data import DatasetError
    from codesign.train import TrainConfig
    from codesign.train.run import TrainRequest, default_run_dir, train_run

    options = {}
    for item in model_options:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--option")
        options[key] = yaml.safe_load(value)
    try:
        cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device,  # type: ignore[arg-type]
                          threads=threads, beta=beta, augment=augment,  # type: ignore[arg-type]
                          label_smoothing=label_smoothing)
        request = TrainRequest(model_name, dataset, data_path, limit, scheme, width, k, options, cfg)
        out = run_dir or default_run_dir(request)
        summary = train_run(request, out)
    except (ValueError, DatasetError) as exc:
        _fail(str(exc), 2)
    click.echo(f"fixed-point test accuracy {summary['accuracy_fixed']:.4f}"
               + (f" (float reference {summary['accuracy_float']:.4f})" if "accuracy_float" in summary else "")
               + f"; run directory {out}")


@main.command("package")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Bundle directory (default RUN_DIR/bundle; a .tar.gz is written beside it).")
@click.option("--board", default=None, help="Board name (default: the board of RUN_DIR/flow.yaml).")
def package(run_dir: Path, out_dir: Path | None, board: str | None) -> None:
    """Build the deploy bundle of a run directory (what a board receives)."""
    import yaml

    from codesign.runtime.bundle import BundleError, make_bundle

    if board is None and (run_dir / "flow.yaml").is_file():
        board = str(yaml.safe_load((run_dir / "flow.yaml").read_text()).get("board", "")) or None
    try:
        path = make_bundle(run_dir, out_dir or run_dir / "bundle", board=board)
    except BundleError as exc:
        _fail(str(exc), 2)
    click.echo(f"bundle {path} and {path}.tar.gz")


@main.command("board-run")
@click.argument("bundle", type=click.Path(exists=True, path_type=Path))
@click.option("--emulate", is_flag=True, help="Run on the emulated device instead of the board.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None, help="JSON result file.")
def board_run(bundle: Path, emulate: bool, out_file: Path | None) -> None:
    """On a board: run the bundle's golden vectors and check every output bit for bit."""
    from codesign.runtime.__main__ import main as runtime_main

    sys.exit(runtime_main([str(bundle), *(["--emulate"] if emulate else []),
                           *(["--out", str(out_file)] if out_file else [])]))


@main.command("deploy")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--host", required=True, help="The board, as [user@]hostname (key-based ssh login).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Where result.json goes (default: a 'deploy_<host>' folder beside the bundle).")
@click.option("--port", type=int, default=None, help="ssh port.")
@click.option("--timeout", "timeout_s", type=float, default=600, show_default=True, help="Seconds for the check.")
@click.option("--emulate", is_flag=True, help="Run the emulated device on the host (no bitstream needed).")
def deploy(bundle: Path, host: str, out_dir: Path | None, port: int | None, timeout_s: float, emulate: bool) -> None:
    """Copy a bundle (.tar.gz) to a board over ssh, run its check there, fetch the JSON result."""
    import json

    from codesign.toolchain import ToolTimeoutError
    from codesign.toolchain.remote import RemoteError, deploy_remote

    target = out_dir or bundle.parent / f"deploy_{host.replace('@', '_')}"
    try:
        run = deploy_remote(bundle, host, target, log_path=target.with_suffix(".log"), timeout_s=timeout_s,
                            emulate=emulate, port=port)
    except (RemoteError, ValueError, ToolTimeoutError) as exc:
        _fail(str(exc), 2)
    result = json.loads(run.result.read_text())
    click.echo(f"{'PASS' if run.returncode == 0 else 'FAIL'}: {result.get('samples')} samples, "
               f"{result.get('mismatches')} mismatching values on {host}; result {run.result}")
    sys.exit(run.returncode)
