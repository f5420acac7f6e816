#!/usr/bin/env bash
# Wizer pre-initialisation of python.wasm for one project (docs/abi.md section 5/6).
#
#   snapshot.sh --wasm python.wasm --stdlib python313.zip --site SITE_DIR --app APP_DIR \
#               [--entry src/entry.py] [--dynload DIR] -o OUT.wasm
# (--entry defaults to $PYMODE_ENTRY, then src/entry.py; --dynload, the runtime's side modules, defaults to
# lib-dynload/ beside the stdlib zip when there is one; a pymode-stdlib/ beside it, the stdlib modules a bundle
# keeps in static assets, is mapped at /lib/pymode-stdlib.)
#
# Runs `wizer.initialize` (= pymode_init: start the interpreter, import pymode._handler, call
# load() which imports the entry) inside Wizer and writes the snapshot. The guest sees exactly the
# layout the hosts give it at run time, preopened in this order (so the snapshot's file-descriptor
# table matches): /lib (python313.zip and python3.13/lib-dynload/, the runtime's side modules), /lib/site, /app.
# lib-dynload is there so that CPython's path finder records the directory as the hosts will show it
# (a sys.path entry missing at snapshot time would be cached as absent, and `import unicodedata` would
# then fail in every instance); nothing is dlopen()ed at snapshot time.
# Guest environment: PYTHONHOME=/ PYTHONPATH=/lib/site:/app PYMODE_ENTRY=<entry>, nothing else
# (the builder's own environment is not baked into the snapshot).
#
# The input may be the asyncified python.wasm (the one hosts use): initialisation must not call
# an async host import (kv/r2/d1/http/tcp/dl_open) — the preloaded stub traps if it does, and the
# snapshot fails with that error instead of baking a half-done call into every instance.
# Exit status 3 (and a last line "[pymode-snapshot] IMPOSSIBLE: <why>"): the entry imports a C extension or calls
# the host while it loads, which no snapshot can hold (pylib/pymode/_snapshot.py); 1: any other failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pymode"
WIZER_VERSION=10.0.0   # pinned in tools/package-lock.json (npm integrity hashes)

die() { echo "[pymode-snapshot] ERROR: $*" >&2; exit 1; }
log() { echo "[pymode-snapshot] $*" >&2; }

WASM="" STDLIB="" SITE="" APP="" OUTPUT="" DYNLOAD="" ENTRY="${PYMODE_ENTRY:-src/entry.py}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wasm) WASM=$2; shift 2;;
    --stdlib) STDLIB=$2; shift 2;;
    --site) SITE=$2; shift 2;;
    --app) APP=$2; shift 2;;
    --entry) ENTRY=$2; shift 2;;
    --dynload) DYNLOAD=$2; shift 2;;
    -o|--output) OUTPUT=$2; shift 2;;
    -h|--help) sed -n '2,20p' "$0"; exit 0;;
    *) die "unknown argument $1 (see --help)";;
  esac
done
[[ -f "$WASM" ]] || die "--wasm: no such file '$WASM'"
[[ -f "$STDLIB" ]] || die "--stdlib: no such file '$STDLIB'"
[[ "$(basename "$STDLIB")" == python313.zip ]] || die "--stdlib must be named python313.zip (CPython looks for /lib/python313.zip)"
[[ -d "$SITE" ]] || die "--site: no such directory '$SITE'"
[[ -d "$APP" ]] || die "--app: no such directory '$APP'"
[[ -n "$OUTPUT" ]] || die "-o OUT.wasm is required"
[[ -f "$APP/$ENTRY" ]] || die "entry '$ENTRY' not found in $APP"
if [[ -z "$DYNLOAD" && -d "$(dirname "$STDLIB")/lib-dynload" ]]; then DYNLOAD="$(dirname "$STDLIB")/lib-dynload"; fi
[[ -z "$DYNLOAD" || -d "$DYNLOAD" ]] || die "--dynload: no such directory '$DYNLOAD'"
command -v node >/dev/null || die "node is required (Wizer comes from npm)"

# ---- Wizer from npm, pinned by the committed lockfile ------------------------------------------
# The builder image installed them beside this script at image build time (Dockerfile: `npm ci` in tools/), so a
# builder Job needs neither npm's registry nor a writable cache for them; a checkout installs them once into the cache.
LOCK_HASH=$(cat "$HERE/tools/package.json" "$HERE/tools/package-lock.json" | sha256sum | cut -c1-12)
NPM_DIR="$CACHE/tools/npm-runtime-$LOCK_HASH"
if [[ -x "$HERE/tools/node_modules/@bytecodealliance/wizer-linux-x64/wizer" ]]; then
  NPM_DIR="$HERE/tools"
elif [[ ! -x "$NPM_DIR/node_modules/.bin/wizer" ]]; then
  log "installing wizer $WIZER_VERSION (npm ci) into $NPM_DIR"
  rm -rf "$NPM_DIR" && mkdir -p "$NPM_DIR"
  cp "$HERE/tools/package.json" "$HERE/tools/package-lock.json" "$NPM_DIR/"
  (cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error >"$NPM_DIR/npm.log" 2>&1) \
    || die "npm ci failed, see $NPM_DIR/npm.log"
fi
# The platform binary itself (the .bin/wizer launcher is a node script, and the guest environment
# below is empty, so it must not depend on PATH).
WIZER="$NPM_DIR/node_modules/@bytecodealliance/wizer-linux-x64/wizer"
[[ -x "$WIZER" ]] || die "no wizer binary for this platform in $NPM_DIR (only linux-x64 is supported here)"
got=$("$WIZER" --version 2>/dev/null || true)
[[ "$got" == "wizer $WIZER_VERSION" ]] || die "expected 'wizer $WIZER_VERSION', $WIZER --version says '$got'"

# ---- snapshot ----------------------------------------------------------------------------------
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lib"
ln "$STDLIB" "$WORK/lib/python313.zip" 2>/dev/null || cp "$STDLIB" "$WORK/lib/python313.zip"
# A bundle that keeps stdlib modules in static assets (worker/scripts/stdlib-assets.mjs; `bundle.mjs --split-stdlib`
# writes this layout): its index and group files beside the zip. The guest reads the groups from here, as no host
# answers while the snapshot is made; the hosts' /lib has only the index.
if [[ -d "$(dirname "$STDLIB")/pymode-stdlib" ]]; then
  cp -r "$(dirname "$STDLIB")/pymode-stdlib" "$WORK/lib/pymode-stdlib"
fi
if [[ -n "$DYNLOAD" ]]; then
  mkdir -p "$WORK/lib/python3.13/lib-dynload"
  for f in "$DYNLOAD"/*.so; do
    [[ -e "$f" ]] || continue
    ln "$f" "$WORK/lib/python3.13/lib-dynload/" 2>/dev/null || cp "$f" "$WORK/lib/python3.13/lib-dynload/"
  done
fi
python3 "$HERE/wizer_stub.py" "$WORK/pymode-stub.wasm"

abspath() { (cd "$1" && pwd); }
t0=$(date +%s%N)
# Input first: the multi-value options would swallow a later positional argument.
# `env -i` + --inherit-env: the guest gets exactly these variables (Wizer 10 has no --env option).
# PYMODE_SNAPSHOT=1: pylib/pymode/_snapshot.py refuses, while the entry loads, what a snapshot cannot hold (a C
# extension, a host call) with SnapshotImpossible; the guest removes the variable before the snapshot is taken.
env -i PYTHONHOME=/ PYTHONPATH=/lib/site:/app PYMODE_ENTRY="$ENTRY" PYMODE_SNAPSHOT=1 \
  "$WIZER" "$WASM" -o "$WORK/out.wasm" \
  --allow-wasi --inherit-stdio true --inherit-env true \
  --wasm-bulk-memory true --wasm-multi-value true --wasm-reference-types true \
  --preload "pymode=$WORK/pymode-stub.wasm" \
  --mapdir "/lib::$WORK/lib" --mapdir "/lib/site::$(abspath "$SITE")" --mapdir "/app::$(abspath "$APP")" \
  >"$WORK/wizer.log" 2>&1 || {
    cat "$WORK/wizer.log" >&2
    impossible=$(grep -o 'SnapshotImpossible: .*' "$WORK/wizer.log" | tail -1 | cut -d' ' -f2- || true)
    if [[ -n "$impossible" ]]; then
      echo "[pymode-snapshot] IMPOSSIBLE: $impossible" >&2
      exit 3
    fi
    die "wizer failed (see above)"
  }
cat "$WORK/wizer.log" >&2
# Which stdlib zip the snapshot's heap was made with (zipimport keeps the zip's directory there): the bundler refuses
# to ship the snapshot with another zip, whose entries would sit at other offsets (worker/scripts/bundle.mjs).
python3 - "$WORK/out.wasm" "$(sha256sum "$STDLIB" | cut -c1-64)" <<'PY'
import json, sys

def leb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)

path, digest = sys.argv[1:]
name = b"pymode.stdlib"
body = leb(len(name)) + name + json.dumps({"zip_sha256": digest}).encode()
with open(path, "ab") as f:
    f.write(b"\x00" + leb(len(body)) + body)
PY
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
mv "$WORK/out.wasm" "$OUTPUT"
log "snapshot written: $OUTPUT ($(stat -c %s "$OUTPUT") bytes, ${ms} ms)"
