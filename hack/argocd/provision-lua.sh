#!/usr/bin/env bash
# Provisions real Lua interpreters for testing hack/argocd/health.lua: lua5.1 (the dialect of gopher-lua, which
# Argo CD runs health checks in) and lua5.4. They come from Debian bookworm packages (the machine's own release,
# so they link against its glibc; trixie's builds need a newer one), fetched with a private apt state (nothing is
# installed system-wide) and unpacked into ${XDG_CACHE_HOME:-~/.cache}/pymode/lua. Each interpreter is a wrapper
# that points LD_LIBRARY_PATH at the unpacked liblua. Prints the bin directory (holding lua5.1 and lua5.4).
# A fast no-op once cached.
set -euo pipefail
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pymode"
ROOT="$CACHE/lua"
BIN="$ROOT/bin"
works() { [[ -x "$BIN/lua5.1" && -x "$BIN/lua5.4" ]] && "$BIN/lua5.1" -e 'assert(_VERSION == "Lua 5.1")' \
  && "$BIN/lua5.4" -e 'assert(_VERSION == "Lua 5.4")'; }
if works 2>/dev/null; then
  echo "$BIN"
  exit 0
fi

# shellcheck source=../lib/debian.sh
source "$(dirname "$0")/../lib/debian.sh"
rm -rf "$ROOT"
mkdir -p "$BIN" "$ROOT/root"
DEBIAN_SUITE=bookworm debian_extract "$ROOT/root" lua5.1 liblua5.1-0 lua5.4 liblua5.4-0
libdirs="$(find "$ROOT/root" -name 'liblua5.*.so.*' -printf '%h\n' | sort -u | paste -sd: -)"
for v in 5.1 5.4; do
  cat > "$BIN/lua$v" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$libdirs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$ROOT/root/usr/bin/lua$v" "\$@"
WRAP
  chmod 0755 "$BIN/lua$v"
done
if ! works; then
  echo "[provision-lua] the unpacked interpreters do not run" >&2
  exit 1
fi
echo "[provision-lua] $("$BIN/lua5.1" -v 2>&1 | head -1); $("$BIN/lua5.4" -v 2>&1 | head -1)" >&2
echo "$BIN"
