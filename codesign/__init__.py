"""codesign: quantization-aware training to bit-exact Vitis HLS accelerators.

Subpackages keep torch out of the numpy-only parts: ``codesign.ir`` and
``codesign.runtime`` must import on a board's CPU with numpy alone.
"""

__version__ = "0.1.0"
