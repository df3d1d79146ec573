"""Sphinx configuration of the fairldp documentation (``make docs``: built offline, warnings
are errors, every example of the gallery executed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "src"))
os.environ.setdefault("MPLBACKEND", "Agg")

import fairldp  # noqa: E402

project = "fairldp"
author = "the fairldp developers"
copyright = "2026, the fairldp developers"
release = version = fairldp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
if os.environ.get("FAIRLDP_DOCS_GALLERY") == "0":  # quick drafts of the text pages only
    extensions.remove("sphinx_gallery.gen_gallery")

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "examples/README.rst"]
templates_path = ["_templates"]

# ----- API reference: one page per module, its own members only (re-exports are documented
# where they are defined, so nothing is described twice)
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "ignore-module-all": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_mock_imports = ["torch", "opacus"]  # the optional extra 'dpsgd'
napoleon_numpy_docstring = True
napoleon_google_docstring = False
default_role = "code"

# ----- Markdown pages (the user guide, the study write-ups, the generated reproductions)
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# ----- the executed gallery
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 0,
}

html_theme = "pydata_sphinx_theme"
html_title = f"fairldp {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
}
html_static_path: list[str] = []
html_show_sourcelink = False

# the type descriptions of the docstrings ("(k, k) array") are prose, not references
suppress_warnings += ["ref.python"]


def _skip(app: object, what: str, name: str, obj: object, skip: bool, options: object) -> bool:
    """scikit-learn's metadata-routing setters (``set_fit_request``, ...) are generated per
    estimator and documented by scikit-learn; leave them out."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app: object) -> None:
    app.connect("autodoc-skip-member", _skip)
