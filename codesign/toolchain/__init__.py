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

__all__ = [
    "BuildSpec",
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
