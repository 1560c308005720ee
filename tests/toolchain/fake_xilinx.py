"""Fake ``vitis_hls``, ``vitis-run`` and ``vivado`` for the driver tests.

``install_fake_tools`` writes one small executable per tool into a folder (put first on PATH by
the tests); each runs :func:`main` with its tool name. A fake checks its command line against
the version it pretends to be, then evaluates the TCL script in a real Tcl interpreter
(``tkinter.Tcl``) in which every vendor command is a Python function that checks its arguments
and the order of the flow, and writes output files in the vendor formats (copied from
``tests/fixtures/reports``). Any violation prints ``FAKE-ERROR: ...`` and exits 1, as the real
tool does on a TCL error.

Environment:
    FAKE_XILINX_VERSION: the version every tool reports (default 2023.2).
    FAKE_XILINX_MODE: ok | fail (the tool reports an error) | hang (sleeps) | noreport (the
        run succeeds but writes no csynth.xml / no bitstream).
    FAKE_XILINX_EXPECT: JSON object with what the script must say: part, period_ns, top,
        board_part, ps, clock_mhz.
    FAKE_XILINX_CALLS: a file to which each invocation appends a JSON line {tool, argv, commands}.
    FAKE_XILINX_LAYOUT: classic (default) or unified (HLS outputs under <project>/hls/).
    FAKE_XILINX_BOARD_FILES: 1 when the board files are "installed" (get_board_parts finds them).
    FAKE_XILINX_HWH_TREE: gen (default) or srcs: where the .hwh lands (Vivado >= / < 2020.2).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import sys
import time
import tkinter
from pathlib import Path
from typing import Callable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
TOOLS = ("vitis_hls", "vitis-run", "vivado")


class FakeError(Exception):
    """A check of the fake failed; the tool exits 1."""


class _Exit(Exception):
    """The script called exit."""


def install_fake_tools(bin_dir: Path, tools: tuple[str, ...] = TOOLS) -> Path:
    """Write executables named ``tools`` into ``bin_dir``; returns ``bin_dir``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parent
    for tool in tools:
        path = bin_dir / tool
        path.write_text(
            f"#!{sys.executable}\n"
            "import sys\n"
            f"sys.path.insert(0, {str(here)!r})\n"
            "from fake_xilinx import main\n"
            f"sys.exit(main({tool!r}, sys.argv[1:]))\n"
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bin_dir


def _version() -> tuple[int, int]:
    text = os.environ.get("FAKE_XILINX_VERSION", "2023.2")
    year, release = text.split(".")[:2]
    return int(year), int(release)


def _expect() -> dict:
    return json.loads(os.environ.get("FAKE_XILINX_EXPECT", "{}"))


def _mode() -> str:
    return os.environ.get("FAKE_XILINX_MODE", "ok")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise FakeError(message)


def _options(
    name: str, args: tuple[str, ...], flags: set[str], valued: set[str]
) -> tuple[dict[str, str | bool], list[str]]:
    """Split ``args`` into known options and positionals; unknown options are errors."""
    opts: dict[str, str | bool] = {}
    positional: list[str] = []
    items = list(args)
    while items:
        item = items.pop(0)
        if item.startswith("-") and not re.fullmatch(r"-?\d+(\.\d+)?", item):
            if item in flags:
                opts[item] = True
            elif item in valued:
                _check(bool(items), f"{name}: {item} needs a value")
                opts[item] = items.pop(0)
            else:
                raise FakeError(f"{name}: unknown option {item}")
        else:
            positional.append(item)
    return opts, positional


class _Interp:
    """A Tcl interpreter whose vendor commands are Python methods named ``cmd_<command>``."""

    def __init__(self, record: list[list[str]]) -> None:
        self.tcl = tkinter.Tcl()
        self.record = record
        self.tcl.eval("catch {rename exit {}}")
        for attr in dir(self):
            if attr.startswith("cmd_"):
                self.tcl.createcommand(attr[4:], self._wrap(attr[4:], getattr(self, attr)))
        self.exited = False
        self.error: str | None = None

    def _wrap(self, name: str, method: Callable[..., str]) -> Callable[..., str]:
        def command(*args: str) -> str:
            self.record.append([name, *args])
            try:
                return method(*args) or ""
            except FakeError as exc:
                self.error = str(exc)
                raise
        return command

    def cmd_exit(self, *args: str) -> str:
        self.exited = True
        raise _Exit()

    def run(self, script: Path) -> None:
        try:
            self.tcl.eval(f"source {{{script}}}")
        except tkinter.TclError as exc:
            if self.exited:
                return
            raise FakeError(self.error or f"Tcl error: {exc}") from None
        _check(self.exited, "script ended without exit")


class FakeHls(_Interp):
    """Vitis HLS project commands."""

    def __init__(self, record: list[list[str]], work: Path) -> None:
        super().__init__(record)
        self.work = work
        self.expect = _expect()
        self.project: str | None = None
        self.solution: Path | None = None
        self.top: str | None = None
        self.sources: list[str] = []
        self.testbench: list[str] = []
        self.part: str | None = None
        self.period: float | None = None
        self.synthesized = False

    def _root(self) -> Path:
        _check(self.solution is not None, "no open solution")
        if os.environ.get("FAKE_XILINX_LAYOUT") == "unified":
            return self.work / str(self.project) / "hls"
        return self.solution  # type: ignore[return-value]

    def cmd_open_project(self, *args: str) -> str:
        _check(self.project is None, "open_project twice")
        _, pos = _options("open_project", args, {"-reset"}, set())
        _check(len(pos) == 1, f"open_project takes one name: {args}")
        self.project = pos[0]
        (self.work / self.project).mkdir(exist_ok=True)
        return ""

    def cmd_set_top(self, *args: str) -> str:
        _check(self.project is not None, "set_top before open_project")
        _check(len(args) == 1, "set_top takes one name")
        _check(args[0] == self.expect.get("top", args[0]), f"set_top {args[0]}")
        self.top = args[0]
        return ""

    def cmd_add_files(self, *args: str) -> str:
        _check(self.project is not None and self.solution is None,
               "add_files must come after open_project and before open_solution")
        opts, pos = _options("add_files", args, {"-tb"}, {"-cflags", "-csimflags"})
        _check(len(pos) == 1, f"add_files takes one file here: {args}")
        _check(Path(pos[0]).is_file(), f"add_files: {pos[0]} does not exist")
        for flag in shlex.split(str(opts.get("-cflags", ""))):
            if flag.startswith("-I"):
                _check(Path(flag[2:]).is_dir(), f"include dir {flag[2:]} does not exist")
        (self.testbench if opts.get("-tb") else self.sources).append(pos[0])
        return ""

    def cmd_open_solution(self, *args: str) -> str:
        _check(self.project is not None, "open_solution before open_project")
        opts, pos = _options("open_solution", args, {"-reset"}, {"-flow_target"})
        _check(opts.get("-flow_target") == "vivado", "open_solution needs -flow_target vivado")
        _check(len(pos) == 1, "open_solution takes one name")
        self.solution = self.work / str(self.project) / pos[0]
        self.solution.mkdir(parents=True, exist_ok=True)
        self.synthesized = (self._root() / "syn").is_dir() and not opts.get("-reset")
        return ""

    def cmd_set_part(self, *args: str) -> str:
        _check(self.solution is not None, "set_part before open_solution")
        _check(len(args) == 1, "set_part takes one part")
        _check(args[0] == self.expect.get("part", args[0]),
               f"set_part {args[0]} but the board part is {self.expect.get('part')}")
        self.part = args[0]
        return ""

    def cmd_create_clock(self, *args: str) -> str:
        opts, pos = _options("create_clock", args, set(), {"-period", "-name"})
        _check(not pos and "-period" in opts, f"create_clock {args}")
        period = float(str(opts["-period"]))
        want = self.expect.get("period_ns", period)
        _check(abs(period - want) < 1e-3, f"clock period {period} ns, expected {want} ns")
        self.period = period
        return ""

    def cmd_config_op(self, *args: str) -> str:
        opts, pos = _options("config_op", args, set(), {"-impl", "-latency", "-precision"})
        _check(len(pos) == 1 and pos[0] in {"mul", "add", "sub", "fadd", "fmul", "dadd", "dmul"},
               f"config_op {args}")
        _check(opts.get("-impl") in {"dsp", "fabric", "meddsp", "fulldsp", "maxdsp", "all"},
               f"config_op -impl {opts.get('-impl')}")
        return ""

    def cmd_csim_design(self, *args: str) -> str:
        _options("csim_design", args, {"-clean", "-O", "-setup"}, {"-argv", "-ldflags"})
        _check(bool(self.testbench) and self.top is not None, "csim_design needs tb and top")
        report = self._root() / "csim" / "report"
        report.mkdir(parents=True, exist_ok=True)
        (report / f"{self.top}_csim.log").write_text("INFO: [SIM 1] CSim done with 0 errors.\n")
        return ""

    def cmd_csynth_design(self, *args: str) -> str:
        _check(not args, "csynth_design takes no options here")
        _check(self.top and self.sources and self.part and self.period,
               "csynth_design needs set_top, sources, set_part and create_clock first")
        if _mode() == "fail":
            print("ERROR: [HLS 207-3776] use of undeclared identifier 'oops'", flush=True)
            raise FakeError("csynth_design failed")
        report = self._root() / "syn" / "report"
        report.mkdir(parents=True, exist_ok=True)
        if _mode() != "noreport":
            xml = (FIXTURES / "csynth" / "vitis_hls_2022.2_modules_crlf.xml").read_text()
            xml = re.sub(r"<Part>[^<]*</Part>", f"<Part>{self.part}</Part>", xml)
            xml = re.sub(r"<TopModelName>[^<]*</TopModelName>",
                         f"<TopModelName>{self.top}</TopModelName>", xml)
            (report / "csynth.xml").write_text(xml)
        self.synthesized = True
        return ""

    def cmd_cosim_design(self, *args: str) -> str:
        opts, _ = _options("cosim_design", args, {"-O", "-setup"},
                           {"-rtl", "-trace_level", "-argv", "-ldflags", "-tool"})
        _check(self.synthesized, "cosim_design before csynth_design")
        _check(opts.get("-rtl") == "verilog", "cosim_design must use -rtl verilog")
        _check(opts.get("-trace_level") == "none", "cosim_design must use -trace_level none")
        report = self._root() / "sim" / "report"
        report.mkdir(parents=True, exist_ok=True)
        rpt = (FIXTURES / "cosim" / "vitis_hls_2022_9col_crlf.rpt").read_bytes()
        (report / f"{self.top}_cosim.rpt").write_bytes(rpt)
        return ""

    def cmd_export_design(self, *args: str) -> str:
        opts, pos = _options("export_design", args, set(),
                             {"-format", "-vendor", "-library", "-version", "-ipname", "-rtl"})
        _check(self.synthesized, "export_design before csynth_design")
        _check(not pos and opts.get("-format") == "ip_catalog", f"export_design {args}")
        _check(all(k in opts for k in ("-vendor", "-library", "-version", "-ipname")),
               "export_design needs -vendor -library -version -ipname")
        ip = self._root() / "impl" / "ip"
        ip.mkdir(parents=True, exist_ok=True)
        vlnv = f"{opts['-vendor']}:{opts['-library']}:{opts['-ipname']}:{opts['-version']}"
        (ip / "component.xml").write_text(f"<component vlnv='{vlnv}'/>\n")
        return ""


class FakeVivado(_Interp):
    """Vivado project, IP integrator and run commands."""

    UTIL = {"zynq_ultra_ps_e": "util_ultrascale_2023.2_prohibited.rpt",
            "processing_system7": "util_7series_2018.3.rpt"}
    PS_VLNV = {"zynq_ultra_ps_e": "xilinx.com:ip:zynq_ultra_ps_e",
               "processing_system7": "xilinx.com:ip:processing_system7"}
    PS_RULE = {"zynq_ultra_ps_e": "xilinx.com:bd_rule:zynq_ultra_ps_e",
               "processing_system7": "xilinx.com:bd_rule:processing_system7"}
    PS_PORTS = {"zynq_ultra_ps_e": ("M_AXI_HPM0_FPD", "S_AXI_HP0_FPD"),
                "processing_system7": ("M_AXI_GP0", "S_AXI_HP0")}
    FREQ = {"zynq_ultra_ps_e": "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ",
            "processing_system7": "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ"}

    def __init__(self, record: list[list[str]]) -> None:
        super().__init__(record)
        self.expect = _expect()
        self.ps = self.expect.get("ps", "zynq_ultra_ps_e")
        self.project: tuple[str, Path] | None = None
        self.bd: str | None = None
        self.cells: dict[str, str] = {}
        self.progress: dict[str, str] = {}
        self.state: list[str] = []
        self.freq_set = False

    def cmd_create_project(self, *args: str) -> str:
        opts, pos = _options("create_project", args, {"-force"}, {"-part"})
        _check(len(pos) == 2, f"create_project name dir: {args}")
        _check(opts.get("-part") == self.expect.get("part", opts.get("-part")),
               f"create_project -part {opts.get('-part')}, board part is "
               f"{self.expect.get('part')}")
        self.project = (pos[0], Path(pos[1]))
        Path(pos[1]).mkdir(parents=True, exist_ok=True)
        return ""

    def cmd_get_board_parts(self, *args: str) -> str:
        _, pos = _options("get_board_parts", args, {"-quiet"}, set())
        return pos[0] if os.environ.get("FAKE_XILINX_BOARD_FILES") == "1" else ""

    def cmd_current_project(self) -> str:
        _check(self.project is not None, "no project")
        return self.project[0]  # type: ignore[index]

    def cmd_current_fileset(self) -> str:
        return "sources_1"

    def cmd_set_property(self, *args: str) -> str:
        if args[0] == "-dict":
            _check(len(args) == 3, f"set_property -dict list objects: {args}")
            items = self.tcl.splitlist(args[1])
            _check(len(items) % 2 == 0, "set_property -dict needs name/value pairs")
            pairs = dict(zip(items[::2], items[1::2]))
            prefix = "CONFIG.PSU__" if self.ps == "zynq_ultra_ps_e" else "CONFIG.PCW_"
            _check(all(k.startswith(prefix) for k in pairs), f"{list(pairs)} not {self.ps}")
            freq = self.FREQ[self.ps]
            if freq in pairs:
                want = self.expect.get("clock_mhz", float(pairs[freq]))
                _check(abs(float(pairs[freq]) - want) < 1e-6, f"{freq}={pairs[freq]}")
                self.freq_set = True
            return ""
        _check(len(args) == 3, f"set_property name value object: {args}")
        name, value, _ = args
        if name == "board_part":
            _check(value == self.expect.get("board_part"), f"board_part {value}")
        elif name == "ip_repo_paths":
            for repo in self.tcl.splitlist(value):
                _check((Path(repo) / "component.xml").is_file(), f"no IP in {repo}")
        elif name == "top":
            _check(value == f"{self.bd}_wrapper", f"top {value}")
        else:
            raise FakeError(f"unexpected property {name}")
        return ""

    def cmd_update_ip_catalog(self) -> str:
        return ""

    def cmd_create_bd_design(self, name: str) -> str:
        _check(self.project is not None and self.bd is None, "create_bd_design order")
        self.bd = name
        return ""

    def cmd_create_bd_cell(self, *args: str) -> str:
        opts, pos = _options("create_bd_cell", args, set(), {"-type", "-vlnv"})
        _check(self.bd is not None and opts.get("-type") == "ip" and len(pos) == 1,
               f"create_bd_cell {args}")
        vlnv = str(opts["-vlnv"])
        if vlnv.startswith("xilinx.com:ip:"):
            _check(vlnv == self.PS_VLNV[self.ps], f"{vlnv} on a {self.ps} board")
        else:
            _check(vlnv.split(":")[2] == self.expect.get("top"), f"HLS IP {vlnv}")
        self.cells[pos[0]] = vlnv
        return f"/{pos[0]}"

    def cmd_get_bd_intf_pins(self, path: str) -> str:
        cell = path.strip("/").split("/")[0]
        _check(cell in self.cells, f"no cell {cell} for pin {path}")
        return f"/{path.strip('/')}"

    def cmd_apply_bd_automation(self, *args: str) -> str:
        opts, pos = _options("apply_bd_automation", args, set(), {"-rule", "-config"})
        _check(len(pos) == 1, f"apply_bd_automation target: {args}")
        rule = opts.get("-rule")
        config = self.tcl.splitlist(str(opts.get("-config", "")))
        _check(len(config) % 2 == 0, f"-config is not a dict: {config}")
        cfg = dict(zip(config[::2], config[1::2]))
        if rule == self.PS_RULE[self.ps]:
            _check("apply_board_preset" in cfg, "PS automation without apply_board_preset")
            self.state.append("ps")
            return ""
        _check(rule == "xilinx.com:bd_rule:axi4", f"rule {rule}")
        _check("ps" in self.state, "AXI automation before the PS automation")
        master, slave = self.PS_PORTS[self.ps]
        ps_cell = self.PS_VLNV[self.ps].split(":")[-1] + "_0"
        if "Master" in cfg:
            _check(cfg["Master"] == f"/{ps_cell}/{master}", f"control master {cfg['Master']}")
            self.state.append("control")
        else:
            _check(cfg.get("Slave") == f"/{ps_cell}/{slave}", f"memory slave {cfg.get('Slave')}")
            self.state.append("memory")
        return ""

    def cmd_assign_bd_address(self) -> str:
        _check({"control", "memory"} <= set(self.state), "assign_bd_address before AXI wiring")
        self.state.append("address")
        return ""

    def cmd_validate_bd_design(self) -> str:
        _check("address" in self.state, "validate_bd_design before assign_bd_address")
        _check(self.freq_set, "PS clock frequency never set")
        self.state.append("valid")
        return ""

    def cmd_save_bd_design(self) -> str:
        return ""

    def cmd_get_files(self, pattern: str) -> str:
        return f"/fake/{pattern}"

    def cmd_make_wrapper(self, *args: str) -> str:
        opts, _ = _options("make_wrapper", args, {"-top", "-import"}, {"-files"})
        _check("valid" in self.state, "make_wrapper before validate_bd_design")
        _check(str(opts.get("-files")).endswith(f"{self.bd}.bd"), f"make_wrapper {args}")
        self.state.append("wrapper")
        return ""

    def cmd_update_compile_order(self, *args: str) -> str:
        return ""

    def cmd_get_runs(self, name: str) -> str:
        return name

    def cmd_launch_runs(self, *args: str) -> str:
        opts, pos = _options("launch_runs", args, set(), {"-jobs", "-to_step"})
        _check(len(pos) == 1 and int(str(opts.get("-jobs", "0"))) >= 1, f"launch_runs {args}")
        run = pos[0]
        if run == "synth_1":
            _check("wrapper" in self.state, "synthesis before make_wrapper")
        else:
            _check(run == "impl_1" and opts.get("-to_step") == "write_bitstream",
                   f"launch_runs {args}")
            _check(self.progress.get("synth_1") == "100%", "impl_1 before synth_1 finished")
        failed = _mode() == "fail" and run == "impl_1"
        self.progress[run] = "0%" if failed else "100%"
        if run == "impl_1" and not failed and _mode() != "noreport":
            name, proj_dir = self.project  # type: ignore[misc]
            bit = proj_dir / f"{name}.runs" / "impl_1" / f"{self.bd}_wrapper.bit"
            bit.parent.mkdir(parents=True, exist_ok=True)
            bit.write_bytes(b"\x00\x09\x0f\xf0fake bitstream")
            tree = os.environ.get("FAKE_XILINX_HWH_TREE", "gen")
            hwh = proj_dir / f"{name}.{tree}" / "sources_1" / "bd" / str(self.bd) / \
                "hw_handoff" / f"{self.bd}.hwh"
            hwh.parent.mkdir(parents=True, exist_ok=True)
            hwh.write_text(f"<EDKSYSTEM><MODULES><MODULE INSTANCE='{self.expect.get('top')}_0'/>"
                           "</MODULES></EDKSYSTEM>\n")
        return ""

    def cmd_wait_on_run(self, run: str) -> str:
        _check(run in self.progress, f"wait_on_run {run} never launched")
        return ""

    def cmd_get_property(self, name: str, obj: str) -> str:
        if name == "PROGRESS":
            return self.progress.get(obj, "0%")
        if name == "STATUS":
            return "write_bitstream Complete!" if self.progress.get(obj) == "100%" else \
                "place_design ERROR"
        if name == "DIRECTORY":
            pname, proj_dir = self.project  # type: ignore[misc]
            return str(proj_dir / f"{pname}.runs" / obj)
        raise FakeError(f"get_property {name}")

    def cmd_open_run(self, run: str) -> str:
        _check(run == "impl_1" and self.progress.get(run) == "100%", f"open_run {run}")
        self.state.append("routed")
        return ""

    def _report(self, args: tuple[str, ...], fixture: Path) -> None:
        opts, _ = _options("report", args, set(), {"-file"})
        _check("routed" in self.state, "report before open_run impl_1")
        Path(str(opts["-file"])).write_bytes(fixture.read_bytes())

    def cmd_report_utilization(self, *args: str) -> str:
        self._report(args, FIXTURES / "vivado" / self.UTIL[self.ps])
        return ""

    def cmd_report_timing_summary(self, *args: str) -> str:
        self._report(args, FIXTURES / "vivado" / "timing_met_2023.2.rpt")
        return ""


def _record(tool: str, argv: list[str], commands: list[list[str]]) -> None:
    calls = os.environ.get("FAKE_XILINX_CALLS")
    if calls:
        with open(calls, "a") as out:
            out.write(json.dumps({"tool": tool, "argv": argv, "commands": commands}) + "\n")


def _script_arg(tool: str, argv: list[str]) -> Path | None:
    """The script of a run command line, None for a version query; FakeError otherwise."""
    year, release = _version()
    if tool == "vitis_hls":
        if argv == ["-version"]:
            return None
        _check(len(argv) == 2 and argv[0] == "-f", f"vitis_hls wants -f SCRIPT: {argv}")
        _check((year, release) < (2025, 1), "vitis_hls does not exist from 2025.1")
        return Path(argv[1])
    if tool == "vitis-run":
        _check((year, release) >= (2023, 2), "vitis-run exists from 2023.2")
        if argv == ["--version"]:
            return None
        _check(len(argv) == 4 and argv[:3] == ["--mode", "hls", "--tcl"],
               f"vitis-run wants --mode hls --tcl SCRIPT: {argv}")
        return Path(argv[3])
    if argv == ["-version"]:
        return None
    _check(argv[:5] == ["-mode", "batch", "-nojournal", "-nolog", "-source"] and len(argv) == 6,
           f"vivado wants -mode batch -nojournal -nolog -source SCRIPT: {argv}")
    return Path(argv[5])


def main(tool: str, argv: list[str]) -> int:
    """Run the fake ``tool`` with ``argv``; returns the exit status."""
    year, release = _version()
    commands: list[list[str]] = []
    try:
        script = _script_arg(tool, argv)
        if script is None:
            banner = {
                "vitis_hls": "Vitis HLS - High-Level Synthesis from C, C++ and OpenCL",
                "vitis-run": "vitis-run", "vivado": "vivado"}[tool]
            print(f"{banner} v{year}.{release} (64-bit)\nSW Build 0000000 on Mon Jan 1")
            _record(tool, argv, commands)
            return 0
        if _mode() == "hang":
            time.sleep(60)
        _check(script.is_file(), f"no script {script}")
        interp = FakeHls(commands, Path.cwd()) if tool != "vivado" else FakeVivado(commands)
        interp.run(script)
    except FakeError as exc:
        print(f"FAKE-ERROR: {exc}", flush=True)
        _record(tool, argv, commands)
        return 1
    _record(tool, argv, commands)
    print(f"INFO: [{tool}] finished", flush=True)
    return 0
