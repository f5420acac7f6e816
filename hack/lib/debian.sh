# Fetches binaries from Debian packages without installing anything system-wide: a private apt state per
# suite (its own sources list, lists, archives and an empty dpkg status, so that suite's candidate is chosen
# even where the machine has another version installed), then `dpkg-deb -x` into a cache directory.
# Usage: source hack/lib/debian.sh; [DEBIAN_SUITE=bookworm] debian_extract <dest-root> <package>...
# The suite defaults to trixie (static Go binaries such as etcd and oras run anywhere); take bookworm for
# binaries that link against this machine's glibc.
# Result: <dest-root>/usr/bin/... of each package.

debian_extract() {
  local dest="$1"; shift
  local suite="${DEBIAN_SUITE:-trixie}"
  local apt_root="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/apt-$suite"
  mkdir -p "$apt_root/lists/partial" "$apt_root/archives/partial" "$apt_root/debs" "$dest"
  : > "$apt_root/empty-status"
  echo "deb http://deb.debian.org/debian $suite main" > "$apt_root/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt_root/sources.list" -o "Dir::Etc::SourceParts=-"
              -o "Dir::State::Lists=$apt_root/lists" -o "Dir::Cache::Archives=$apt_root/archives"
              -o "Dir::State::Status=$apt_root/empty-status" -o "APT::Get::List-Cleanup=0"
              -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  if [[ -z "$(ls -A "$apt_root/lists" 2>/dev/null | grep -v partial)" ]]; then
    apt-get "${opts[@]}" -qq update
  fi
  local pkg deb
  for pkg in "$@"; do
    deb=$(ls "$apt_root/debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
    if [[ -z "$deb" ]]; then
      (cd "$apt_root/debs" && apt-get "${opts[@]}" -qq download "$pkg") || {
        apt-get "${opts[@]}" -qq update && (cd "$apt_root/debs" && apt-get "${opts[@]}" -qq download "$pkg"); }
      deb=$(ls "$apt_root/debs/${pkg}_"*.deb | head -n 1)
    fi
    dpkg-deb -x "$deb" "$dest"
  done
}
