#!/usr/bin/env bash
# Install the peer LDP libraries (multi-freq-ldpy, pure-ldp) into a separate venv used ONLY by
# benchmarks/bench_ldp.py. Never install them into the project venv.
#
# Packaging notes (found while setting this up):
# - multi-freq-ldpy 0.2.5 is an sdist only (built locally); it declares numba (+ llvmlite, large)
#   and xxhash. Its LH client calls xxhash.xxh32(str(x), seed=...) with a str and a 63-bit seed,
#   which xxhash >= 3 rejects ("Strings must be encoded before hashing"): pin xxhash < 3.
# - pure-ldp 1.2.0 declares xxhash, numpy, scipy, bitstring, bitarray, but
#   pure_ldp.frequency_oracles/__init__ imports every oracle, and its RAPPOR server imports
#   scikit-learn and statsmodels, which are NOT declared: install them explicitly. Its clients
#   map data with index_mapper = x - 1 by default (1-based items).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${here}/.venv-peers"
python="${PYTHON:-python3}"
if [ ! -x "${venv}/bin/python" ]; then
  "${python}" -m venv "${venv}"
fi
"${venv}/bin/python" -m pip install --quiet --upgrade pip
"${venv}/bin/python" -m pip install --quiet multi-freq-ldpy pure-ldp numpy "xxhash<3" \
  scikit-learn statsmodels
"${venv}/bin/python" -c "import multi_freq_ldpy.pure_frequency_oracles.LH, pure_ldp.frequency_oracles, numpy; print('peers ok, numpy', numpy.__version__)"
"${venv}/bin/python" -m pip freeze > "${here}/.venv-peers/freeze.txt"
echo "peer venv ready: ${venv}"
