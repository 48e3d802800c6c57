#!/usr/bin/env bash
# Smoke test of the frozen app (built by `./dev dist` from build.spec): run the executable for real.
#   scripts/smoke_frozen.sh [BUNDLE_DIR]     (default dist/kmeans-desktop)
#
# 1. `--version` prints the package's version.
# 2. `compress` on the sample photo writes an indexed PNG (checked with Pillow from the venv); a
#    second run with two inputs and --jobs 2 exercises multiprocessing's spawned workers.
# 3. The GUI under Xvfb with `--self-test`: it opens the sample, waits for the final preview and
#    its PNG size (the encoder helper, i.e. the executable started again), prints a ready line
#    and quits.
# Every run has a time limit; the process group is killed when it runs over. Any output with
# Traceback, ModuleNotFoundError, ImportError or "could not load the Qt platform plugin" fails
# the test, as does a missing ready line or a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."

BUNDLE=${1:-dist/kmeans-desktop}
EXE="$BUNDLE/kmeans-desktop"
PY=${KMEANS_VENV:-.venv}/bin/python
GUI_TIMEOUT=${SMOKE_GUI_TIMEOUT:-120}
CLI_TIMEOUT=${SMOKE_CLI_TIMEOUT:-120}
FORBIDDEN='Traceback|ModuleNotFoundError|ImportError|could not load the Qt platform plugin|Could not find the Qt platform plugin'

say() { printf '[smoke] %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

[ -x "$EXE" ] || fail "$EXE is missing: build it with ./dev dist"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kmeans-desktop-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# The frozen app must not find the checkout's Python packages, and must not touch the user's logs.
export KMEANS_DESKTOP_LOG_DIR="$WORK/logs"
unset PYTHONPATH PYTHONHOME

# run_bounded SECONDS OUTFILE CMD...: run CMD in its own session (process group), with stdout and
# stderr to OUTFILE; kill the whole group if it runs longer than SECONDS. Returns CMD's status
# (124 on timeout).
run_bounded() {
  local limit=$1 out=$2 pid status waited=0
  shift 2
  setsid "$@" >"$out" 2>&1 </dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((limit * 10)) ]; then
      say "timed out after ${limit} s: $*"
      kill -TERM -- "-$pid" 2>/dev/null || true
      sleep 2
      kill -KILL -- "-$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 124
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  status=0
  wait "$pid" || status=$?
  return "$status"
}

check_clean() {  # check_clean OUTFILE WHAT
  if grep -Eq "$FORBIDDEN" "$1"; then
    cat "$1" >&2
    fail "$2: forbidden output (${FORBIDDEN//|/, })"
  fi
}

# 1. --version
status=0
run_bounded "$CLI_TIMEOUT" "$WORK/version.txt" "$EXE" --version || status=$?
check_clean "$WORK/version.txt" "--version"
want=$("$PY" -c 'import kmeans_desktop; print(kmeans_desktop.__version__)')
[ "$status" = 0 ] && grep -qx "kmeans-desktop $want" "$WORK/version.txt" \
  || { cat "$WORK/version.txt" >&2; fail "--version: exit $status, expected 'kmeans-desktop $want'"; }
say "ok: --version -> $(cat "$WORK/version.txt")"

# 2. compress: one file, then two files in parallel (spawned worker processes)
status=0
run_bounded "$CLI_TIMEOUT" "$WORK/compress.txt" "$EXE" compress resources/sample.jpg -k 16 -o "$WORK/out.png" || status=$?
check_clean "$WORK/compress.txt" "compress"
[ "$status" = 0 ] || { cat "$WORK/compress.txt" >&2; fail "compress: exit $status"; }
"$PY" - "$WORK/out.png" <<'EOF' || fail "compress: the output is not a 16-colour indexed PNG"
import sys
from PIL import Image
with Image.open(sys.argv[1]) as im:
    im.load()
    colours = len(im.getcolors(256) or [])
    print(f"[smoke] {sys.argv[1]}: {im.format} {im.mode} {im.size[0]}x{im.size[1]}, {colours} colours", file=sys.stderr)
    assert im.format == "PNG" and im.mode == "P" and im.size == (640, 427) and 2 <= colours <= 16
EOF
say "ok: compress -> $(tail -n 1 "$WORK/compress.txt")"

mkdir -p "$WORK/batch"
cp resources/sample.jpg "$WORK/second.jpg"
status=0
run_bounded "$CLI_TIMEOUT" "$WORK/batch.txt" "$EXE" compress resources/sample.jpg "$WORK/second.jpg" -k 8 \
  -o "$WORK/batch" --jobs 2 || status=$?
check_clean "$WORK/batch.txt" "compress --jobs 2"
[ "$status" = 0 ] && [ -s "$WORK/batch/sample.png" ] && [ -s "$WORK/batch/second.png" ] \
  || { cat "$WORK/batch.txt" >&2; fail "compress --jobs 2: exit $status or missing outputs"; }
say "ok: compress --jobs 2 -> $(tail -n 1 "$WORK/batch.txt")"

# 3. the GUI under Xvfb
command -v xvfb-run >/dev/null || fail "xvfb-run is missing (apt-get install xvfb xauth)"
status=0
run_bounded "$GUI_TIMEOUT" "$WORK/gui.txt" env XDG_CONFIG_HOME="$WORK/config" \
  xvfb-run -a -s "-screen 0 1600x1000x24 +extension GLX +render" "$EXE" --self-test || status=$?
check_clean "$WORK/gui.txt" "GUI self-test"
ready=$(grep -m1 '^kmeans-desktop self-test: ready' "$WORK/gui.txt" || true)
[ "$status" = 0 ] && [ -n "$ready" ] || { cat "$WORK/gui.txt" >&2; fail "GUI self-test: exit $status, ready line: ${ready:-none}"; }
say "ok: GUI -> $ready"
[ -s "$WORK/config/kmeans-desktop/kmeans-desktop.ini" ] && fail "the self-test wrote the user's settings"

say "all frozen smoke checks passed ($(du -sh "$BUNDLE" | cut -f1) in $BUNDLE)"
echo "frozen-smoke: 4 passed, 0 failed"
