#!/usr/bin/env bash
# Install OxonFair (Delaney et al. 2024) into a separate venv used ONLY by
# benchmarks/bench_oxonfair.py (through benchmarks/oxonfair_worker.py). Never install it into
# the project venv: OxonFair is not a dependency of fairldp.
#
# Packaging notes (found while setting this up, oxonfair 0.3, a py2.py3 wheel):
# - It declares numpy, pandas, scikit-learn and ucimlrepo. ucimlrepo is imported only by
#   oxonfair.dataset_loader.*(), which downloads UCI tables at run time (no network here); it
#   is installed because it is declared, and never called.
# - torch is NOT needed with a scikit-learn predictor: it is imported lazily, only by
#   FairPredictor.merge_heads_pytorch (deep-learning heads), and sits in the extras
#   full/notebooks/tests with autogluon, xgboost, fairlearn, jupyterlab. None of the extras is
#   installed; if one ever is, pin torch to the CPU wheel of $PIP_FIND_LINKS.
# - matplotlib is not declared but FairPredictor.plot_frontier imports it: not installed
#   (plots unused). autogluon is probed with try/except at import time (absent: fine).
# - oxonfair/learners/fair.py does `from ast import Tuple` (a typo for typing.Tuple; harmless).
# - scikit-learn is pinned to the project venv's version when that venv exists, so that both
#   sides fit the same LogisticRegression (the benchmark checks the two base models agree).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${here}/.venv-oxonfair"
python="${PYTHON:-python3}"
project_py="${here}/../.venv/bin/python"
sklearn="scikit-learn"
if [ -x "${project_py}" ]; then
  v="$("${project_py}" -c 'import sklearn; print(sklearn.__version__)' 2>/dev/null || true)"
  if [ -n "${v}" ]; then sklearn="scikit-learn==${v}"; fi
fi
if [ ! -x "${venv}/bin/python" ]; then
  "${python}" -m venv "${venv}"
fi
# keep the venv out of git (.gitignore lists benchmarks/.venv-peers/ only; Python >= 3.13's
# venv writes this file itself)
echo '*' > "${venv}/.gitignore"
"${venv}/bin/python" -m pip install --quiet --upgrade pip
"${venv}/bin/python" -m pip install --quiet "oxonfair==0.3" "${sklearn}" numpy pandas
"${venv}/bin/python" -c "import oxonfair, sklearn; from oxonfair import group_metrics as gm; gm.recall.min; print('oxonfair ok, scikit-learn', sklearn.__version__)"
"${venv}/bin/python" -m pip freeze > "${venv}/freeze.txt"
echo "oxonfair venv ready: ${venv}"
