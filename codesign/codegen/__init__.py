"""IR -> Vitis HLS project: one emitter per op (``EMITTERS``), Jinja templates in hls/templates.

    project = codegen.generate(ir.load("run/ir"), "run/hls", top="bnn_top", interface="mm")
"""

from codesign.codegen.emitters import EMITTERS
from codesign.codegen.environment import INCLUDE_DIR, TEMPLATE_DIR, make_environment
from codesign.codegen.errors import CodegenError
from codesign.codegen.hls_spec import hls_project_spec
from codesign.codegen.project import Project, generate, ir_hash

__all__ = ["EMITTERS", "INCLUDE_DIR", "TEMPLATE_DIR", "CodegenError", "Project", "generate", "hls_project_spec",
           "ir_hash", "make_environment"]
