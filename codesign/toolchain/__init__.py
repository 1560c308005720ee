"""Everything that starts a process: g++ builds, Vitis HLS, Vivado; tool discovery."""

from codesign.toolchain.aptypes import ap_types_include
from codesign.toolchain.errors import (
    ToolchainError,
    ToolError,
    ToolNotFoundError,
    ToolTimeoutError,
)
from codesign.toolchain.gxx import BuildSpec, build, find_gxx
from codesign.toolchain.process import ProcessResult, run_process
from codesign.toolchain.vendor import ToolVersion, detect_version, find_tool, hls_invocation
from codesign.toolchain.vitis import HlsProjectSpec, IpMetadata, VitisResult, run_vitis_hls
from codesign.toolchain.vivado import VivadoBdSpec, VivadoResult, run_vivado_bitstream

__all__ = [
    "BuildSpec",
    "HlsProjectSpec",
    "IpMetadata",
    "ToolVersion",
    "VitisResult",
    "VivadoBdSpec",
    "VivadoResult",
    "detect_version",
    "find_tool",
    "hls_invocation",
    "run_vitis_hls",
    "run_vivado_bitstream",
    "ProcessResult",
    "ToolError",
    "ToolNotFoundError",
    "ToolTimeoutError",
    "ToolchainError",
    "ap_types_include",
    "build",
    "find_gxx",
    "run_process",
]
