"""Make the fairldp package of this checkout importable when it is not installed.

Snakemake puts this folder on ``sys.path`` of every script. With ``make reproduce`` the package
is installed (editable) and this does nothing; in a conda environment built from
``workflow/envs/fairldp.yaml`` (``--sdm conda``) it falls back to ``src/``.
"""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("fairldp") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
