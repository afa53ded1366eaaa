#!/usr/bin/env bash
# Rewrites testdata/oracle/golden/ from the Python reference ($LOOKOUT_ORACLE names its
# oracle.py, default ../shared/oracle/oracle.py; needs python3 with pandas, or the Python
# named by $LOOKOUT_ORACLE_PYTHON). The inputs are the ones oracle_diff compares: the
# generated edge-case tracks and the real tracks of testdata/ais. Run it after changing the
# reference, the generator or testdata/ais, then commit the golden files.
set -euo pipefail
cd "$(dirname "$0")/../.."
export LOOKOUT_ORACLE="${LOOKOUT_ORACLE:-$(pwd)/../shared/oracle/oracle.py}"
cargo test -p lookout --test oracle_diff -- --ignored --exact regenerate_golden_files --nocapture
