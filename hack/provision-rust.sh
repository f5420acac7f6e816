#!/usr/bin/env bash
# Provisions the Rust toolchain the builder's `rust` recipes use: Debian trixie's rustc/cargo 1.85.1 with the
# wasm32 standard library (libstd-rust-dev-wasm32: wasm32-unknown-unknown and wasm32-wasip1) and rust-src (the
# library sources, for rebuilding std position-independent with -Zbuild-std). Nothing is installed system-wide:
# the packages are fetched with a private apt state (hack/lib/debian.sh) and unpacked into
#   ${XDG_CACHE_HOME:-~/.cache}/pymode/rust-<version>/root
# trixie's binaries need glibc >= 2.39 and this machine (bookworm) has 2.36, so trixie's own libc6 and the shared
# libraries rustc/cargo link against are unpacked too, and bin/rustc, bin/cargo are wrappers that start the real
# binaries through trixie's dynamic loader (ld-linux-x86-64.so.2 --library-path …). Build scripts and proc
# macros are linked by the machine's own cc against its glibc as usual.
# Prints the toolchain directory (bin/rustc, bin/cargo, sysroot = root/usr). A fast no-op once cached.
# The builder image runs it at image build time (PYMODE_RUST_TOOLCHAIN); builder-image/extensions/build_rust_extension.py
# runs it otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/debian.sh
source "$here/lib/debian.sh"

RUST_VERSION=1.85.1
DEB_VERSION="1.85.1+dfsg1-1+deb13u1"
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/rust-$RUST_VERSION"
if [[ -x "$DIR/bin/rustc" && -x "$DIR/bin/cargo" && -f "$DIR/.complete" ]]; then
  echo "$DIR"
  exit 0
fi

# rustc, cargo and the standard libraries (host + wasm32), the library sources, and the shared libraries
# rustc (libLLVM 19) and cargo (curl, libgit2, ssh, ssl) need at run time, all from trixie.
PKGS=(rustc cargo libstd-rust-1.85 libstd-rust-dev libstd-rust-dev-wasm32 rust-src
      libc6 libgcc-s1 libstdc++6 libllvm19 libffi8 libedit2 libxml2 libz3-4 libtinfo6 libzstd1 zlib1g libbsd0
      libmd0 liblzma5 libicu76
      libcurl4t64 libgit2-1.9 libssh2-1t64 libssl3t64 libsqlite3-0 libnghttp2-14 libnghttp3-9 libngtcp2-16
      libpsl5t64 librtmp1 libidn2-0 libunistring5 libbrotli1 libgssapi-krb5-2 libkrb5-3
      libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1 libldap2 libsasl2-2 libgnutls30t64 libhogweed6t64
      libnettle8t64 libgmp10 libp11-kit0 libtasn1-6 libhttp-parser2.9 libmbedcrypto16 libmbedtls21
      libmbedx509-7 libpcre2-8-0 libcrypt1)

rm -rf "$DIR.tmp"
mkdir -p "$DIR.tmp/logs"
root="$DIR.tmp/root"
missing=()
for p in "${PKGS[@]}"; do
  if ! DEBIAN_SUITE=trixie debian_extract "$root" "$p" 2>"$DIR.tmp/logs/apt-$p.log"; then
    missing+=("$p")
  fi
done
for p in "${missing[@]}"; do echo "[provision-rust] note: trixie has no package $p (skipped)" >&2; done
for p in rustc cargo libstd-rust-dev-wasm32 rust-src libc6 libllvm19; do
  if printf '%s\n' "${missing[@]}" | grep -qx "$p"; then
    echo "[provision-rust] error: could not fetch $p from trixie; see $DIR.tmp/logs/apt-$p.log" >&2
    exit 1
  fi
done

got=$(ls "${XDG_CACHE_HOME:-$HOME/.cache}/pymode/apt-trixie/debs/" | grep -E '^rustc_' | head -1)
case "$got" in
  "rustc_${DEB_VERSION//+/%2b}_amd64.deb"|"rustc_${DEB_VERSION}_amd64.deb") ;;
  *) echo "[provision-rust] error: expected rustc $DEB_VERSION, apt delivered $got" >&2; exit 1 ;;
esac

sysroot="$root/usr"
for t in wasm32-wasip1; do
  [[ -d "$sysroot/lib/rustlib/$t/lib" ]] || {
    echo "[provision-rust] error: libstd-rust-dev-wasm32 has no $t standard library (has: $(ls "$sysroot/lib/rustlib"))" >&2
    exit 1; }
done
[[ -f "$sysroot/lib/rustlib/src/rust/library/Cargo.lock" ]] || {
  echo "[provision-rust] error: rust-src has no library/Cargo.lock under $sysroot/lib/rustlib/src/rust" >&2; exit 1; }

# Only what the builder uses: the host and wasm32-wasip1 standard libraries and rust-src's library/ (with its
# Cargo.lock; -Zbuild-std rebuilds from it). rust-src's compiler/ and src/ trees and the wasm32-unknown-unknown and
# wasm32-wasip2 libraries are about 580 MB the builder never reads.
rm -rf "$sysroot/lib/rustlib/src/rust/src" "$sysroot/lib/rustlib/src/rust/compiler" \
       "$sysroot/lib/rustlib/wasm32-unknown-unknown" "$sysroot/lib/rustlib/wasm32-wasip2" "$root/usr/share/doc" "$root/usr/share/man"

mkdir -p "$DIR.tmp/bin"
ldso=""
for c in usr/lib64/ld-linux-x86-64.so.2 lib64/ld-linux-x86-64.so.2 usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2; do
  [[ -e "$root/$c" ]] && { ldso="$c"; break; }
done
[[ -n "$ldso" ]] || { echo "[provision-rust] error: no ld-linux-x86-64.so.2 in trixie's libc6" >&2; exit 1; }
libpath="$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu/libfakeroot"
for tool in rustc cargo rustdoc; do
  [[ -x "$root/usr/bin/$tool" ]] || continue
  extra=""
  [[ "$tool" == rustc || "$tool" == rustdoc ]] && extra='--sysroot "$SYSROOT"'
  cat > "$DIR.tmp/bin/$tool" <<EOF
#!/bin/sh
# trixie's $tool through trixie's dynamic loader (this machine's glibc is older than it needs)
DIR="\$(cd "\$(dirname "\$0")/.." && pwd)"
SYSROOT="\$DIR/root/usr"
LIBS="${libpath//$root/\$DIR/root}"
case " \$* " in *" --sysroot"*) exec "\$DIR/root/$ldso" --library-path "\$LIBS" --argv0 $tool "\$DIR/root/usr/bin/$tool" "\$@";; esac
exec "\$DIR/root/$ldso" --library-path "\$LIBS" --argv0 $tool "\$DIR/root/usr/bin/$tool" $extra "\$@"
EOF
  chmod 0755 "$DIR.tmp/bin/$tool"
done
# cargo runs rustc from PATH or $RUSTC: point it at the wrapper
cat > "$DIR.tmp/env.sh" <<'EOF'
# source this: puts trixie's rustc/cargo first on PATH
_d="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$_d/bin:$PATH" RUSTC="$_d/bin/rustc" RUSTDOC="$_d/bin/rustdoc"
unset _d
EOF

"$DIR.tmp/bin/rustc" -vV >&2
"$DIR.tmp/bin/cargo" -V >&2
rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"
# the wrappers find everything relative to themselves
touch "$DIR/.complete"
echo "[provision-rust] rustc $RUST_VERSION (Debian $DEB_VERSION) with wasm32-wasip1 std and rust-src in $DIR" >&2
echo "$DIR"
