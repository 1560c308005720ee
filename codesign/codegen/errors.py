"""The error raised by code generation."""


class CodegenError(ValueError):
    """The graph or the options cannot be turned into an HLS project (the message says why)."""
