#!/usr/bin/env bash
# Builds the PyMode runtime: upstream CPython 3.13 for wasm32-wasi, compiled with zig cc.
#
# This is the program a runtime builder Job runs. Steps (each cached; see README.md):
#   1. fetch the pinned inputs into $CACHE/downloads and verify their sha256
#      (CPython and zlib sources from Debian trixie source packages, zig from PyPI `ziglang`,
#       binaryen 108 from Debian bookworm)
#   2. native build Python (the same CPython version, built with the host gcc; CPython's cross
#      build needs it as --with-build-python, as in Tools/wasm/wasi.py)
#   3. zlib for wasm32-wasi with zig cc
#   4. the cross build of CPython with zig cc, following Tools/wasm/wasi.py's configure-host /
#      make-host (same config.site, flags and environment shape) plus the `_pymode` built-in module
#   5. wasm-opt: python-noasync.wasm (-O2) and python.wasm (--asyncify, -O2)
#   6. python313.zip (stdlib as .pyc), include/, manifest.json
# Output: $CACHE/runtime/<key>/ where <key> hashes every input; $CACHE/runtime/current (or
# $PYMODE_RUNTIME_DIR) points at it. A second run with the same inputs only re-links `current`.
#
# Environment:
#   XDG_CACHE_HOME       cache root (default ~/.cache); everything lives in $XDG_CACHE_HOME/pymode
#   PYMODE_RUNTIME_DIR   where to expose the result (default $CACHE/runtime/current): a symlink is
#                        made there, or, if it is an existing real directory, the files are copied in
#   PYMODE_JOBS          make -j (default 2)
#   PYMODE_DEBIAN_MIRROR Debian mirror URI (default: the first Debian URI of this machine's apt sources)
# Prints the output directory on stdout; progress goes to stderr, build logs to files.
# `build.sh --tools-only` fetches and unpacks zig and binaryen into $CACHE/tools and stops (the builder image
# bakes them in for extension builds, builder-image/Dockerfile).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pymode"
TOOLS_ONLY=false
case "${1:-}" in
  "") ;;
  --tools-only) TOOLS_ONLY=true ;;
  *) echo "usage: build.sh [--tools-only]" >&2; exit 2 ;;
esac
JOBS="${PYMODE_JOBS:-2}"

# ---- pinned inputs -----------------------------------------------------------------------------
PY_VERSION=3.13.5
PY_SRCPKG=python3.13                                   # Debian trixie source package
PY_ORIG=python3.13_3.13.5.orig.tar.xz                  # = upstream Python-3.13.5.tar.xz
PY_SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
ZLIB_VERSION=1.3.1
ZLIB_SRCPKG=zlib
ZLIB_ORIG=zlib_1.3.dfsg+really1.3.1.orig.tar.gz
ZLIB_SHA256=60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb
ZIG_VERSION=0.15.2                                     # PyPI `ziglang`
ZIG_WHEEL=ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl
ZIG_SHA256=806316453d1ede7174ed3fefb8e5348154629089c3bb5fe812dfd0e172fac130
BINARYEN_VERSION=108-1                                 # Debian bookworm `binaryen`
BINARYEN_DEB=binaryen_108-1_amd64.deb
BINARYEN_SHA256=3e78e82c38b9faa7e5645f19ab3d386f8da7c71f8dc19edfaa0ff1b080bd81a8

# Asyncify: the async host imports of docs/abi.md section 2.
ASYNC_IMPORTS="pymode.call,pymode.dl_open"
# The features of LLVM 20's wasm32 "generic" CPU (what zig cc targets), as binaryen 108 names
# them. zig's target_features section says `bulk-memory-opt` (memory.copy/fill), a name newer
# than binaryen 108, which then validates with bulk memory off and fails; so they are explicit.
# (`call-indirect-overlong` is only an encoding detail; reference types are not used.)
WASM_FEATURES=(--enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int
               --enable-sign-ext --enable-multivalue --enable-extended-const)
WASM_OPT_ASYNC=("${WASM_FEATURES[@]}" --strip-dwarf --asyncify "--pass-arg=asyncify-imports@$ASYNC_IMPORTS" -O2 --strip-debug)
WASM_OPT_NOASYNC=("${WASM_FEATURES[@]}" --strip-dwarf -O2 --strip-debug)

# Cross configure arguments (besides --host/--build/--with-build-python and zlib's flags). The
# zig-specific configure answers are in pymode/config.site-wasm32-wasi-zig (explained there).
CROSS_CONFIGURE_ARGS=(--disable-test-modules)

log() { echo "[pymode-runtime] $*" >&2; }
die() { echo "[pymode-runtime] ERROR: $*" >&2; exit 1; }
now() { date +%s; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

[[ "$(uname -m)" == x86_64 ]] || die "the pinned zig and binaryen inputs are x86_64 builds; this machine is $(uname -m)"
needed=(python3 sha256sum apt-get dpkg-deb)
$TOOLS_ONLY || needed+=(tar xz gcc make flock patch)
for tool in "${needed[@]}"; do
  command -v "$tool" >/dev/null || die "required tool '$tool' not found"
done

# ---- keys --------------------------------------------------------------------------------------
PY_KEY="${PY_VERSION}-${PY_SHA256:0:12}"
# Source patches (pymode/patches/README.md), applied in name order to the unpacked release. They only
# change wasm32-wasi code (#if defined(__wasi__)), so the native build below keeps the release's key.
PATCHES=("$HERE"/pymode/patches/*.patch)
PATCH_KEY=$(cat "${PATCHES[@]}" | sha256sum | cut -c1-12)
# Everything that determines the cross build.
CROSS_KEY=$( { printf '%s\n' "$PY_SHA256" "$ZLIB_SHA256" "$ZIG_SHA256" "${CROSS_CONFIGURE_ARGS[@]}";
               sed -n '/^# >>> cross-build/,/^# <<< cross-build/p' "$HERE/build.sh";
               cat "${PATCHES[@]}" "$HERE/pymode/_pymode.c" "$HERE/pymode/wasi_netdb.c" "$HERE/pymode/dynload_pymode.c" \
                   "$HERE/pymode/Setup.local.in" "$HERE/pymode/config.site-wasm32-wasi-zig" \
                   "$HERE/pymode/side-module-exports.txt";
               python3 -I "$HERE/mkdynload.py" --list; } | sha256sum | cut -c1-16)
# Everything that determines the outputs.
OUT_KEY=$( { printf '%s\n' "$CROSS_KEY" "$BINARYEN_SHA256" "${WASM_OPT_ASYNC[@]}" "${WASM_OPT_NOASYNC[@]}";
             cat "$HERE/build.sh" "$HERE/mkstdlib.py" "$HERE/wasminfo.py" "$HERE/growable_table.py" \
                 "$HERE/asyncify_exports.py" "$HERE/mkdynload.py" "$HERE/../extensions/build_extension.py"; } | sha256sum | cut -c1-16)

OUT_ROOT="$CACHE/runtime"
OUT="$OUT_ROOT/$OUT_KEY"
LINK="${PYMODE_RUNTIME_DIR:-$OUT_ROOT/current}"

publish() {
  if [[ -d "$LINK" && ! -L "$LINK" ]]; then
    # An existing real directory (e.g. a Job's volume): copy the files in.
    find "$LINK" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    cp -a "$OUT/." "$LINK/"
  else
    mkdir -p "$(dirname "$LINK")"
    ln -sfn "$OUT" "$LINK.tmp.$$" && mv -Tf "$LINK.tmp.$$" "$LINK"
  fi
  log "runtime $OUT_KEY ready: $LINK -> $OUT"
  echo "$LINK"
}

if [[ -f "$OUT/manifest.json" ]] && ! $TOOLS_ONLY; then
  log "cached (inputs unchanged)"
  publish
  exit 0
fi

# One build at a time per cache (a builder Job, make test and a benchmark may start together);
# whoever waited finds the finished runtime.
mkdir -p "$OUT_ROOT"
exec 9>"$OUT_ROOT/.build.lock"
flock 9
if [[ -f "$OUT/manifest.json" ]] && ! $TOOLS_ONLY; then
  log "built by a concurrent run"
  publish
  exit 0
fi

T_START=$(now)
BUILD_ROOT="$CACHE/runtime-build"
DL="$CACHE/downloads"
TOOLS="$CACHE/tools"
mkdir -p "$BUILD_ROOT" "$DL" "$TOOLS" "$OUT_ROOT"

# ---- 1. inputs ----------------------------------------------------------------------------------
verify() { # file sha256
  local got; got=$(sha256 "$1")
  [[ "$got" == "$2" ]] || die "checksum mismatch for $1: expected $2, got $got"
}

debian_mirror() {
  if [[ -n "${PYMODE_DEBIAN_MIRROR:-}" ]]; then echo "$PYMODE_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null \
        | grep -E '/debian/?( |$)' | head -1 | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*$//')
  [[ -n "$uri" ]] || die "no Debian mirror found in the apt sources; set PYMODE_DEBIAN_MIRROR"
  echo "$uri"
}

# A private apt state: trixie deb-src (sources only, no binaries that need trixie's glibc) and
# bookworm binaries (binaryen). The system's apt configuration and status are left alone.
APT_ROOT="$CACHE/apt-runtime"
apt_opts() {
  echo -o "Dir::Etc::SourceList=$APT_ROOT/sources.list" -o "Dir::Etc::SourceParts=-" \
       -o "Dir::State::Lists=$APT_ROOT/lists" -o "Dir::Cache::Archives=$APT_ROOT/archives" \
       -o "Dir::State::Status=$APT_ROOT/status" -o "APT::Get::List-Cleanup=0" \
       -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root"
}
APT_READY=0
apt_prepare() {
  [[ $APT_READY == 1 ]] && return
  local mirror; mirror=$(debian_mirror)
  mkdir -p "$APT_ROOT/lists/partial" "$APT_ROOT/archives/partial"
  : > "$APT_ROOT/status"
  printf 'deb-src %s trixie main\ndeb %s bookworm main\n' "$mirror" "$mirror" > "$APT_ROOT/sources.list"
  # shellcheck disable=SC2046
  apt-get $(apt_opts) -qq update || die "apt-get update with the private apt state failed"
  APT_READY=1
}

fetch_orig() { # srcpkg orig-file sha256
  local pkg=$1 file=$2 sum=$3
  if [[ -f "$DL/$file" ]] && [[ "$(sha256 "$DL/$file")" == "$sum" ]]; then return; fi
  apt_prepare
  local tmp="$DL/tmp-$pkg"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # apt-get source --download-only fetches .dsc, orig and debian tarballs; only the orig (the
  # upstream release) is used. Some Debian tarballs are missing on mirrors (seen for zlib), so a
  # failure is accepted when the verified orig tarball arrived.
  # shellcheck disable=SC2046
  (cd "$tmp" && apt-get $(apt_opts) -qq source --download-only "$pkg" >"$tmp/apt.log" 2>&1) || true
  [[ -f "$tmp/$file" ]] || die "apt-get source $pkg did not deliver $file (trixie now has: $(ls "$tmp" | tr '\n' ' ')); see $tmp/apt.log"
  verify "$tmp/$file" "$sum"
  mv "$tmp/$file" "$DL/$file"
  rm -rf "$tmp"
  log "fetched $file"
}

fetch_deb() { # pkg deb-file sha256
  local pkg=$1 file=$2 sum=$3
  if [[ -f "$DL/$file" ]] && [[ "$(sha256 "$DL/$file")" == "$sum" ]]; then return; fi
  apt_prepare
  # shellcheck disable=SC2046
  (cd "$DL" && apt-get $(apt_opts) -qq download "$pkg") || die "apt-get download $pkg failed"
  [[ -f "$DL/$file" ]] || die "apt-get download $pkg did not deliver $file"
  verify "$DL/$file" "$sum"
  log "fetched $file"
}

fetch_zig() {
  if [[ -f "$DL/$ZIG_WHEEL" ]] && [[ "$(sha256 "$DL/$ZIG_WHEEL")" == "$ZIG_SHA256" ]]; then return; fi
  python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_12_x86_64 \
    -d "$DL" "ziglang==$ZIG_VERSION" || die "pip download ziglang==$ZIG_VERSION failed"
  verify "$DL/$ZIG_WHEEL" "$ZIG_SHA256"
  log "fetched $ZIG_WHEEL"
}

fetch_orig "$PY_SRCPKG" "$PY_ORIG" "$PY_SHA256"
fetch_orig "$ZLIB_SRCPKG" "$ZLIB_ORIG" "$ZLIB_SHA256"
fetch_zig
fetch_deb binaryen "$BINARYEN_DEB" "$BINARYEN_SHA256"

# ---- tools -------------------------------------------------------------------------------------
ZIG_DIR="$TOOLS/zig-$ZIG_VERSION"
if [[ ! -x "$ZIG_DIR/zig" || ! -f "$ZIG_DIR/.sha256" || "$(cat "$ZIG_DIR/.sha256")" != "$ZIG_SHA256" ]]; then
  rm -rf "$ZIG_DIR" "$ZIG_DIR.tmp" && mkdir -p "$ZIG_DIR.tmp"
  python3 -m zipfile -e "$DL/$ZIG_WHEEL" "$ZIG_DIR.tmp"
  mv "$ZIG_DIR.tmp/ziglang" "$ZIG_DIR" && rm -rf "$ZIG_DIR.tmp"
  chmod +x "$ZIG_DIR/zig"
  echo "$ZIG_SHA256" > "$ZIG_DIR/.sha256"
fi
ZIG_CACHE="$CACHE/zig-cache"
# >>> cross-build (the wrappers below are part of the cross build key too)
# Small wrappers so autoconf/make see ordinary CC/CPP/AR/RANLIB commands.
#   -fno-sanitize=undefined: zig cc turns UBSan on for unoptimised compiles (configure probes).
#   --stack-first is dropped: zig's wasm linker does not accept it, and it already places the
#   stack first (the __stack_pointer starts at the stack size; checked by the tests).
#   -Wno-error=date-time: zig makes __DATE__/__TIME__ an error; CPython's getbuildinfo.c uses
#   them for sys.version. clang takes their value from SOURCE_DATE_EPOCH (exported below), so
#   they are reproducible.
ZBIN="$ZIG_DIR/wasi-bin"
mkdir -p "$ZBIN"
write_wrapper() { # name body
  cat > "$ZBIN/$1.tmp" <<EOF
#!/bin/sh
# zig $ZIG_VERSION wrapper for wasm32-wasi (generated by builder-image/runtime/build.sh)
ZIG='$ZIG_DIR/zig'
export ZIG_GLOBAL_CACHE_DIR="\${ZIG_GLOBAL_CACHE_DIR:-$ZIG_CACHE}" ZIG_LOCAL_CACHE_DIR="\${ZIG_LOCAL_CACHE_DIR:-$ZIG_CACHE}"
$2
EOF
  chmod +x "$ZBIN/$1.tmp" && mv "$ZBIN/$1.tmp" "$ZBIN/$1"
}
FILTER='for a in "$@"; do shift; [ "$a" = "-Wl,--stack-first" ] || set -- "$@" "$a"; done'
write_wrapper cc "$FILTER
exec \"\$ZIG\" cc -target wasm32-wasi -fno-sanitize=undefined -Wno-error=date-time \"\$@\""
write_wrapper c++ "$FILTER
exec \"\$ZIG\" c++ -target wasm32-wasi -fno-sanitize=undefined -Wno-error=date-time \"\$@\""
write_wrapper cpp "exec \"\$ZIG\" cc -target wasm32-wasi -E \"\$@\""
write_wrapper ar "exec \"\$ZIG\" ar \"\$@\""
write_wrapper ranlib "exec \"\$ZIG\" ranlib \"\$@\""
# <<< cross-build

BINARYEN_DIR="$TOOLS/binaryen-$BINARYEN_VERSION"
if [[ ! -f "$BINARYEN_DIR/.sha256" || "$(cat "$BINARYEN_DIR/.sha256")" != "$BINARYEN_SHA256" ]]; then
  rm -rf "$BINARYEN_DIR" && mkdir -p "$BINARYEN_DIR"
  dpkg-deb -x "$DL/$BINARYEN_DEB" "$BINARYEN_DIR"
  echo "$BINARYEN_SHA256" > "$BINARYEN_DIR/.sha256"
fi
wasm_opt() { LD_LIBRARY_PATH="$BINARYEN_DIR/usr/lib/x86_64-linux-gnu" "$BINARYEN_DIR/usr/bin/wasm-opt" "$@"; }
if $TOOLS_ONLY; then
  log "tools ready: $ZIG_DIR, $BINARYEN_DIR"
  echo "$TOOLS"
  exit 0
fi

# ---- sources -----------------------------------------------------------------------------------
SRC_ROOT="$BUILD_ROOT/src-$PY_KEY-p$PATCH_KEY"
SRC="$SRC_ROOT/Python-$PY_VERSION"
if [[ ! -f "$SRC_ROOT/.done" ]]; then
  rm -rf "$SRC_ROOT" && mkdir -p "$SRC_ROOT"
  tar -C "$SRC_ROOT" -xJf "$DL/$PY_ORIG"
  [[ -x "$SRC/configure" ]] || die "$PY_ORIG does not contain Python-$PY_VERSION/configure"
  for p in "${PATCHES[@]}"; do
    patch -d "$SRC" -p1 --batch --forward --no-backup-if-mismatch --quiet <"$p" \
      || die "patch $(basename "$p") does not apply to Python $PY_VERSION"
  done
  touch "$SRC_ROOT/.done"
fi
# Reproducible timestamps (__DATE__/__TIME__ in sys.version, zip entries): the release's own time.
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(stat -c %Y "$SRC/configure")

# ---- 2. native build Python ----------------------------------------------------------------------
NATIVE="$BUILD_ROOT/native-$PY_KEY"
BUILD_PY="$NATIVE/build/python"
if [[ ! -f "$NATIVE/.done" ]]; then
  log "native build of CPython $PY_VERSION (log: $NATIVE/build/{configure,make}.log)"
  t=$(now)
  rm -rf "$NATIVE" && mkdir -p "$NATIVE/build"
  (cd "$NATIVE/build" && "$SRC/configure" --prefix="$NATIVE/prefix" >configure.log 2>&1) \
    || die "native configure failed, see $NATIVE/build/configure.log"
  (cd "$NATIVE/build" && make -j"$JOBS" all >make.log 2>&1) || die "native make failed, see $NATIVE/build/make.log"
  "$BUILD_PY" -c 'import sys; assert sys.version_info[:3] == tuple(map(int, "'"$PY_VERSION"'".split(".")))' \
    || die "native build python does not work"
  echo "$(( $(now) - t ))" > "$NATIVE/.seconds"
  touch "$NATIVE/.done"
fi

# ---- 3. zlib -----------------------------------------------------------------------------------
ZLIB="$BUILD_ROOT/zlib-$ZLIB_VERSION-${ZLIB_SHA256:0:12}-zig$ZIG_VERSION"
if [[ ! -f "$ZLIB/.done" ]]; then
  log "zlib $ZLIB_VERSION for wasm32-wasi (log: $ZLIB/build.log)"
  rm -rf "$ZLIB" && mkdir -p "$ZLIB/src"
  tar -C "$ZLIB/src" --strip-components=1 -xzf "$DL/$ZLIB_ORIG"
  (cd "$ZLIB/src" && CC="$ZBIN/cc" AR="$ZBIN/ar" RANLIB="$ZBIN/ranlib" CHOST=wasm32-wasi \
     CFLAGS="-O2 -ffile-prefix-map=$CACHE=/pymode-cache" \
     ./configure --static --prefix="$ZLIB/install" && make -j"$JOBS" libz.a && make install) \
     >"$ZLIB/build.log" 2>&1 || die "zlib build failed, see $ZLIB/build.log"
  touch "$ZLIB/.done"
fi

# >>> cross-build (this block is part of the cross build key)
CROSS="$BUILD_ROOT/cross-$CROSS_KEY"
if [[ ! -f "$CROSS/.done" ]]; then
  log "cross build of CPython $PY_VERSION with zig $ZIG_VERSION (logs: $CROSS/{configure,make}.log)"
  t=$(now)
  rm -rf "$CROSS" && mkdir -p "$CROSS/pymode" "$CROSS/Modules/pymode" "$CROSS/pkgconfig-empty"
  cp "$HERE/pymode/_pymode.c" "$HERE/pymode/wasi_netdb.c" "$HERE/pymode/dynload_pymode.c" "$CROSS/pymode/"
  # Modules/Setup.local lives in the build directory; configure keeps an existing one. The modules
  # mkdynload.py builds as side modules (lib-dynload/) are disabled here, so python.wasm leaves them out.
  { cat "$HERE/pymode/Setup.local.in"
    echo "# side modules of the runtime (mkdynload.py --list): not linked into python.wasm"
    echo "*disabled*"
    python3 -I "$HERE/mkdynload.py" --list; } > "$CROSS/Modules/Setup.local"
  # config.guess must see the host compiler, not the zig wrapper (it would answer ...-gnux32).
  build_triple=$(CC=gcc CC_FOR_BUILD=gcc "$SRC/config.guess")
  (
    cd "$CROSS"
    # The environment shape of Tools/wasm/wasi.py (wasi_sdk_env + configure_wasi_python).
    export CC="$ZBIN/cc" CPP="$ZBIN/cpp" CXX="$ZBIN/c++" AR="$ZBIN/ar" RANLIB="$ZBIN/ranlib"
    export PKG_CONFIG_PATH="" PKG_CONFIG_LIBDIR="$CROSS/pkgconfig-empty" PKG_CONFIG_SYSROOT_DIR="$CROSS/pkgconfig-empty"
    export CONFIG_SITE="$HERE/pymode/config.site-wasm32-wasi-zig"
    export PYMODE_CPYTHON_CONFIG_SITE="$SRC/Tools/wasm/config.site-wasm32-wasi"
    export HOSTRUNNER="node --no-warnings --stack-size=4000 $HERE/wasi-run.mjs --dir $SRC::/"
    # Paths inside the wasm (__FILE__) must not depend on where the cache is.
    # -DSOCK_RAW=3: zig's wasi-libc has no getaddrinfo, so socketmodule.c compiles CPython's own
    # fallback Modules/getaddrinfo.c (numeric addresses; see pymode/wasi_netdb.c). That file
    # names SOCK_RAW, which wasi-libc's <sys/socket.h> hides; 3 is musl's (and Linux's) value.
    export CFLAGS="-ffile-prefix-map=$CACHE=/pymode-cache -DSOCK_RAW=3"
    # A relative configure path, as in wasi.py: VPATH (compiled into getpath.c) stays relative,
    # so no build-machine path ends up in python.wasm.
    "../$(basename "$SRC_ROOT")/Python-$PY_VERSION/configure" --host=wasm32-wasip1 --build="$build_triple" --with-build-python="$BUILD_PY" \
      "${CROSS_CONFIGURE_ARGS[@]}" \
      ZLIB_CFLAGS="-I$ZLIB/install/include" ZLIB_LIBS="-L$ZLIB/install/lib -lz" >configure.log 2>&1
  ) || die "cross configure failed, see $CROSS/configure.log and $CROSS/config.log"
  # Exports for C-extension side modules (issue #7, docs/extensions.md): the Python C API
  # (--export-dynamic: PyAPI_* symbols have default visibility), the indirect function table and
  # the stack pointer the side modules share, and the libc/libm/compiler-rt symbols listed in
  # pymode/side-module-exports.txt. LINKFORSHARED only reaches the python.wasm link.
  side_exports="-Wl,--export-dynamic -Wl,--export-table -Wl,--export=__stack_pointer"
  for sym in $(sed 's/#.*//' "$HERE/pymode/side-module-exports.txt"); do side_exports+=" -Wl,--export=$sym"; done
  (cd "$CROSS" && make -j"$JOBS" LINKFORSHARED="$side_exports" all >make.log 2>&1) || die "cross make failed, see $CROSS/make.log"
  [[ -f "$CROSS/python.wasm" ]] || die "cross build produced no python.wasm"
  grep -q 'PyInit__pymode' "$CROSS/Modules/config.c" \
    || die "_pymode is not registered in Modules/config.c (Setup.local not applied)"
  for m in $(python3 -I "$HERE/mkdynload.py" --list); do
    ! grep -qw "PyInit_$m" "$CROSS/Modules/config.c" || die "$m is still built into python.wasm (Setup.local's *disabled* not applied)"
  done
  echo "$(( $(now) - t ))" > "$CROSS/.seconds"
  touch "$CROSS/.done"
fi
# <<< cross-build

# ---- 5/6. outputs ------------------------------------------------------------------------------
STAGE="$OUT_ROOT/.tmp-$OUT_KEY-$$"
rm -rf "$STAGE" && mkdir -p "$STAGE"
trap 'rm -rf "$STAGE"' EXIT

log "wasm-opt -O2 (log: $STAGE/wasm-opt.log)"
t=$(now)
wasm_opt "$CROSS/python.wasm" "${WASM_OPT_NOASYNC[@]}" -o "$STAGE/python-noasync.wasm" >>"$STAGE/wasm-opt.log" 2>&1 \
  || die "wasm-opt -O2 failed: $(tail -5 "$STAGE/wasm-opt.log")"
T_OPT=$(( $(now) - t ))
log "wasm-opt --asyncify -O2 (takes minutes and ~3 GB)"
t=$(now)
wasm_opt "$CROSS/python.wasm" "${WASM_OPT_ASYNC[@]}" -o "$STAGE/python.wasm" >>"$STAGE/wasm-opt.log" 2>&1 \
  || die "wasm-opt --asyncify failed: $(tail -5 "$STAGE/wasm-opt.log")"
T_ASYNC=$(( $(now) - t ))
# Side modules grow the shared function table (issue #7); zig cc refuses --growable-table.
"$BUILD_PY" -I "$HERE/growable_table.py" "$STAGE/python.wasm" "$STAGE/python-noasync.wasm" 2>>"$STAGE/wasm-opt.log" \
  || die "growable_table.py failed"
# Side modules are asyncified with asyncify-relocatable and share python.wasm's Asyncify state.
"$BUILD_PY" -I "$HERE/asyncify_exports.py" "$STAGE/python.wasm" 2>>"$STAGE/wasm-opt.log" \
  || die "asyncify_exports.py failed"

log "stdlib zip"
SYSCONFIGDATA=$(ls "$CROSS"/build/lib.wasi-wasm32-*/_sysconfigdata_*.py 2>/dev/null | head -1)
[[ -n "$SYSCONFIGDATA" ]] || die "no _sysconfigdata_*.py in $CROSS/build"
"$BUILD_PY" -I "$HERE/mkstdlib.py" --lib "$SRC/Lib" --sysconfigdata "$SYSCONFIGDATA" \
  --path-map "$CACHE=/pymode-cache" --mtime "$SOURCE_DATE_EPOCH" \
  --out "$STAGE/python313.zip" --listing "$STAGE/stdlib-excluded.txt" \
  || die "building python313.zip failed"

log "include/"
INC="$STAGE/include/python3.13"
mkdir -p "$INC"
cp -r "$SRC/Include/." "$INC/"
cp "$CROSS/pyconfig.h" "$INC/pyconfig.h"
find "$STAGE/include" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f "$STAGE/wasm-opt.log"

EXT_SUFFIX=$(sed -n 's/^EXT_SUFFIX=[[:space:]]*//p' "$CROSS/Makefile")
SOABI=$(sed -n 's/^SOABI=[[:space:]]*//p' "$CROSS/Makefile")
[[ -n "$EXT_SUFFIX" && -n "$SOABI" ]] || die "no EXT_SUFFIX/SOABI in $CROSS/Makefile"

log "lib-dynload/ (the optional built-in modules as side modules, plain and asyncified)"
t=$(now)
PYMODE_TOOLS_DIR="$TOOLS" "$BUILD_PY" -I "$HERE/mkdynload.py" --src "$SRC" --runtime-stage "$STAGE" --python "$PY_VERSION" \
  --ext-suffix "$EXT_SUFFIX" --soabi "$SOABI" --zig "$ZIG_DIR/zig" --out "$STAGE/lib-dynload" >"$STAGE/dynload.json" \
  || die "building the lib-dynload side modules failed"
T_DYNLOAD=$(( $(now) - t ))

log "manifest.json"
T_TOTAL=$(( $(now) - T_START ))
"$BUILD_PY" -I - "$STAGE" <<PY || die "writing manifest.json failed"
import hashlib, json, os, sys
sys.path.insert(0, "$HERE")
import wasminfo
stage = sys.argv[1]
with open(os.path.join(stage, "dynload.json")) as f:
    dynload = json.load(f)
os.remove(os.path.join(stage, "dynload.json"))
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()
outputs = {}
for root, dirs, files in os.walk(stage):
    dirs.sort()
    for f in sorted(files):
        p = os.path.join(root, f)
        rel = os.path.relpath(p, stage)
        if rel == "manifest.json":
            continue
        outputs[rel] = {"sha256": sha(p), "size": os.path.getsize(p)}
mod = wasminfo.load(os.path.join(stage, "python.wasm"))
manifest = {
    "kind": "pymode-runtime",
    "key": "$OUT_KEY",
    "python": "$PY_VERSION",
    # the host ABI of docs/abi.md (2: the one generic binding call); side modules keep their own below
    "abi_version": 2,
    "target": "wasm32-wasi (preview1)",
    "tools": {
        "zig": "$ZIG_VERSION (PyPI ziglang, bundled clang + wasi-libc)",
        "binaryen": "$BINARYEN_VERSION (Debian bookworm, wasm-opt)",
        "build_python": "$PY_VERSION (native, host gcc)",
    },
    "inputs": {
        "$PY_ORIG": {"sha256": "$PY_SHA256", "from": "Debian trixie source package $PY_SRCPKG"},
        "$ZLIB_ORIG": {"sha256": "$ZLIB_SHA256", "from": "Debian trixie source package $ZLIB_SRCPKG"},
        "$ZIG_WHEEL": {"sha256": "$ZIG_SHA256", "from": "PyPI ziglang==$ZIG_VERSION"},
        "$BINARYEN_DEB": {"sha256": "$BINARYEN_SHA256", "from": "Debian bookworm binaryen"},
    },
    "build": {
        "source_date_epoch": int("$SOURCE_DATE_EPOCH"),
        "configure_args": "${CROSS_CONFIGURE_ARGS[*]}".split(),
        "wasm_opt_asyncify": "${WASM_OPT_ASYNC[*]}".split(),
        "wasm_opt_noasync": "${WASM_OPT_NOASYNC[*]}".split(),
    },
    "exports": sorted(e["name"] for e in mod.exports),
    # C extensions (issue #7): the file suffix CPython looks for, and the tag side modules carry.
    "extensions": {"ext_suffix": "$EXT_SUFFIX", "soabi": "$SOABI", "abi_version": 1},
    "imports": sorted(f"{i['module']}.{i['name']}" for i in mod.imports),
    # Optional built-in modules shipped as side modules (mkdynload.py): module -> init, plain file, sha256, size
    # and its Asyncify variant. Hosts map lib-dynload/ at /lib/python3.13/lib-dynload.
    "dynload": dynload,
    "outputs": outputs,
}
with open(os.path.join(stage, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2, sort_keys=True)
    f.write("\n")
PY
# Timings and build-machine paths are not part of the reproducible outputs: kept beside them
# (the tests use the paths to repeat packaging steps and compare bytes).
cat > "$OUT_ROOT/$OUT_KEY.build.json" <<JSON
{"total_seconds": $T_TOTAL, "native_seconds": $(cat "$NATIVE/.seconds" 2>/dev/null || echo null),
 "cross_seconds": $(cat "$CROSS/.seconds" 2>/dev/null || echo null), "wasm_opt_seconds": $T_OPT,
 "asyncify_seconds": $T_ASYNC, "dynload_seconds": $T_DYNLOAD, "cross_dir": "$CROSS", "raw_wasm": "$CROSS/python.wasm",
 "build_python": "$BUILD_PY", "lib_dir": "$SRC/Lib", "sysconfigdata": "$SYSCONFIGDATA",
 "cache": "$CACHE", "source_date_epoch": $SOURCE_DATE_EPOCH,
 "wasm_opt": "$BINARYEN_DIR/usr/bin/wasm-opt", "wasm_opt_libs": "$BINARYEN_DIR/usr/lib/x86_64-linux-gnu"}
JSON

rm -rf "$OUT"
mv "$STAGE" "$OUT"
trap - EXIT
publish
