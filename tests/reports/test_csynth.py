"""csynth.xml parser: every format flavour read to the exact figure, malformed files rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.reports import ReportError, Resources, parse_csynth


def test_vivado_hls_2018_dsp48e_without_uram(fixtures: Path) -> None:
    r = parse_csynth(fixtures / "csynth" / "vivado_hls_2018.1.xml")
    assert (r.tool_version, r.part, r.top) == ("2018.1", "xc7z020clg400-1", "dense_top")
    assert r.target_clock_ns == 10.0 and r.clock_uncertainty_ns == 1.25
    assert r.estimated_clock_ns == 8.56
    assert r.estimated_fmax_mhz == pytest.approx(116.822, abs=1e-3)
    assert r.target_clock_mhz == 100.0
    assert r.pipeline_type == "none"
    assert r.resources == Resources(lut=1591, ff=1120, dsp=27, bram_18k=4, uram=None)
    assert r.available == Resources(lut=53200, ff=106400, dsp=220, bram_18k=280, uram=None)
    lat = r.latency
    assert (lat.best_cycles, lat.average_cycles, lat.worst_cycles) == (129, 131, 133)
    assert (lat.interval_min_cycles, lat.interval_max_cycles) == (130, 134)
    # No RealTimeLatency before 2019.2: derived as cycles x target period, as HLS does.
    assert (lat.best_ns, lat.worst_ns) == (1290.0, 1330.0)
    assert r.modules == ()


def test_vivado_hls_2019_dataflow_undef_average_and_range(fixtures: Path) -> None:
    r = parse_csynth(fixtures / "csynth" / "vivado_hls_2019.2_dataflow.xml")
    assert r.tool_version == "2019.2" and r.pipeline_type == "dataflow"
    assert r.resources == Resources(lut=23456, ff=9876, dsp=0, bram_18k=38, uram=0)
    assert r.available.uram == 0 and r.available.dsp == 360
    lat = r.latency
    assert (lat.best_cycles, lat.average_cycles, lat.worst_cycles) == (4100, None, 5200)
    assert (lat.interval_min_cycles, lat.interval_max_cycles) == (1030, 1301)
    assert (lat.best_ns, lat.average_ns, lat.worst_ns) == (20500.0, None, 26000.0)
    assert r.estimated_clock_ns == 4.375


def test_vitis_hls_2020_all_undef(fixtures: Path) -> None:
    r = parse_csynth(fixtures / "csynth" / "vitis_hls_2020.1_undef.xml")
    assert r.resources == Resources(lut=5322, ff=3726, dsp=0, bram_18k=34, uram=2)
    assert r.available == Resources(lut=230400, ff=460800, dsp=1728, bram_18k=624, uram=96)
    lat = r.latency
    assert lat.best_cycles is lat.average_cycles is lat.worst_cycles is None
    assert lat.interval_min_cycles is lat.interval_max_cycles is None
    assert lat.best_ns is lat.worst_ns is None


def test_vitis_hls_2022_crlf_with_modules(fixtures: Path) -> None:
    path = fixtures / "csynth" / "vitis_hls_2022.2_modules_crlf.xml"
    assert b"\r\n" in path.read_bytes()
    r = parse_csynth(path)
    assert (r.tool_version, r.top, r.pipeline_type) == ("2022.2", "mlp_top", "no")
    assert r.resources == Resources(lut=26638, ff=18616, dsp=192, bram_18k=2, uram=0)
    assert (r.latency.best_cycles, r.latency.interval_max_cycles) == (260, 261)
    assert r.latency.worst_ns == 2600.0
    assert [m.name for m in r.modules] == ["dense_0", "dense_1"]
    d0 = r.module("dense_0")
    assert d0.resources == Resources(lut=52, ff=9, dsp=0, bram_18k=0, uram=0)
    assert (d0.latency.worst_cycles, d0.latency.interval_min_cycles) == (66, 66)
    assert d0.estimated_clock_ns == 6.912 and d0.latency.best_ns == 660.0
    d1 = r.module("dense_1")
    assert d1.resources.dsp == 192 and d1.resources.bram_18k == 2
    assert (d1.latency.best_cycles, d1.latency.worst_cycles) == (3, None)
    # "3 ~ -1": the maximum interval is unbounded.
    assert (d1.latency.interval_min_cycles, d1.latency.interval_max_cycles) == (3, None)
    with pytest.raises(KeyError, match="dense_0, dense_1"):
        r.module("dense_9")


def test_vitis_hls_2023_bom_crlf_ranges_and_nested_modules(fixtures: Path) -> None:
    path = fixtures / "csynth" / "vitis_hls_2023.2.2_dataflow_bom_crlf.xml"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    r = parse_csynth(path)
    assert r.tool_version == "2023.2.2" and r.target_clock_ns == 4.0
    assert r.resources == Resources(lut=6800, ff=10567, dsp=0, bram_18k=30, uram=0)
    lat = r.latency
    assert (lat.best_cycles, lat.average_cycles, lat.worst_cycles) == (21, 1341, 5211)
    # No Interval-min/max here: the <range> of DataflowPipelineThroughput gives the interval.
    assert (lat.interval_min_cycles, lat.interval_max_cycles) == (22, 5212)
    assert (lat.best_ns, lat.average_ns, lat.worst_ns) == (84.0, 5364.0, 20844.0)
    conv = r.module("conv_0")
    assert conv.resources.bram_18k == 10 and conv.resources.lut == 310
    assert (conv.latency.interval_min_cycles, conv.latency.interval_max_cycles) == (1, 512)
    assert conv.pipeline_type == "loop auto-rewind stp (delay=2 clock cycles(s))"
    top = r.module("khot_bnn")
    assert (top.latency.interval_min_cycles, top.latency.interval_max_cycles) == (22, 5212)
    assert top.pipeline_type == "dataflow"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed_truncated.xml", "not well-formed XML"),
        ("malformed_missing_lut.xml", "missing element <LUT> in AreaEstimates/Resources"),
        ("malformed_bad_number.xml", "AreaEstimates/Resources/FF is not an integer: 'lots'"),
        ("malformed_wrong_root.xml", "root element is <project>"),
        ("does_not_exist.xml", "report file not found"),
    ],
)
def test_malformed_or_missing_raises_report_error_naming_the_file(
    fixtures: Path, name: str, message: str
) -> None:
    path = fixtures / "csynth" / name
    with pytest.raises(ReportError, match=message) as info:
        parse_csynth(path)
    assert info.value.path == path
    assert str(path) in str(info.value)


def test_range_in_a_single_valued_field_is_an_error(tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / "csynth" / "vivado_hls_2018.1.xml").read_text()
    path = tmp_path / "csynth.xml"
    path.write_text(text.replace("<Average-caseLatency>131", "<Average-caseLatency>1 ~ 5"))
    with pytest.raises(ReportError, match="Average-caseLatency has a range"):
        parse_csynth(path)
