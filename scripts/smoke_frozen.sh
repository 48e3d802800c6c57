#!/usr/bin/env bash
# Smoke test of the frozen app (built by `./dev dist` from build.spec): run the executable for real.
#   scripts/smoke_frozen.sh [BUNDLE_DIR]     (default dist/kmeans-desktop)
#
# The checks live in scripts/smoke_app.py (standard-library Python, so the Windows and macOS
# workflow runs the same ones): --version, compress (one file, then two with --jobs 2, i.e.
# spawned workers), the GUI under Xvfb with --self-test (the encoder helper is the executable
# started again), and --install-desktop into a temporary XDG_DATA_HOME. Every run has a time
# limit; Traceback, ModuleNotFoundError, ImportError or a Qt platform plugin error in the output
# fails it.
set -euo pipefail
cd "$(dirname "$0")/.."

BUNDLE=${1:-dist/kmeans-desktop}
PY=${KMEANS_VENV:-.venv}/bin/python
# The frozen app must not find the checkout's Python packages.
unset PYTHONPATH PYTHONHOME
"$PY" scripts/smoke_app.py --label frozen-smoke "$BUNDLE/kmeans-desktop"
echo "[smoke] bundle: $(du -sh "$BUNDLE" | cut -f1) in $BUNDLE" >&2
