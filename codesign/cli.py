"""The ``codesign`` command line: each command parses its arguments and calls one library function."""

from __future__ import annotations

from pathlib import Path

import click

from codesign import __version__


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
