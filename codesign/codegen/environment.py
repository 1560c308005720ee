"""The Jinja environment over ``hls/templates`` (StrictUndefined: a missing field is an error)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "hls" / "templates"
INCLUDE_DIR = REPO_ROOT / "hls" / "include"


def make_environment(template_dir: Path = TEMPLATE_DIR) -> Environment:
    """A fresh environment loading the project templates."""
    return Environment(
        loader=FileSystemLoader(str(template_dir)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
