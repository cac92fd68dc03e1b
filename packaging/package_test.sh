#!/usr/bin/env bash
# `make package-test`: the .deb as a user gets it. Installs it with apt-get into a throwaway
# Debian 12 (bookworm) root, runs `stream-console --version` and `stream-console self-test` from
# the installed copy, removes it and checks that nothing of it is left under /opt or /usr.
#
# Needs root (chroot and mounts, in a private mount namespace so nothing leaks onto the host),
# debootstrap (installed when missing) and a Debian mirror. The minbase root is built once and
# cached; each run lays a throwaway overlay over it, so the cache is never changed by a test.
#
#   DEB=path/to.deb          test this file as it is (default: dist/stream-console_<v>_<arch>.deb,
#                            rebuilt with `make package` when missing or older than its sources)
#   PACKAGE_TEST_CACHE=dir   the cached root and downloaded packages
#                            (default: ~/.cache/stream-console-package-test; delete it to start over)
#   PACKAGE_TEST_MIRROR=url  default http://deb.debian.org/debian
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
phase_started=$started
phase() {  # prints how long the last phase took, then names the next one
  local now; now=$(date +%s)
  [ -n "${current_phase:-}" ] && echo "package-test: ${current_phase}: $((now - phase_started)) s"
  current_phase=$1; phase_started=$now
}
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (it needs chroot and mounts): sudo make package-test"
command -v dpkg >/dev/null || fail "a Debian-family machine is needed"

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' console/__init__.py)
arch=$(dpkg --print-architecture)
deb=${DEB:-dist/stream-console_${version}_${arch}.deb}
cache=${PACKAGE_TEST_CACHE:-${HOME}/.cache/stream-console-package-test}
mirror=${PACKAGE_TEST_MIRROR:-http://deb.debian.org/debian}
base=$cache/bookworm-minbase
report_dir=build/package-test
mkdir -p "$cache/archives" "$report_dir"

phase "the .deb"
if [ -z "${DEB:-}" ]; then
  if [ ! -f "$deb" ] || [ -n "$(find console resources pyproject.toml packaging/stream-console.spec \
        packaging/build_deb.py -type f -newer "$deb" -print -quit)" ]; then
    echo "package-test: building $deb (missing or older than its sources)"
    "${MAKE:-make}" package
  fi
fi
[ -f "$deb" ] || fail "no $deb"

phase "cached Debian 12 root"
if [ ! -f "$base/.complete" ]; then
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
  rm -rf "$base.partial"
  debootstrap --variant=minbase bookworm "$base.partial" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || fail "debootstrap did not finish; see $cache/debootstrap.log"
  rm -rf "$base"
  mv "$base.partial" "$base"
  touch "$base/.complete"
fi
# Package lists older than a day are refreshed in the cache itself (before any overlay is on it).
if [ -z "$(find "$base/var/lib/apt/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit)" ]; then
  cp /etc/resolv.conf "$base/etc/resolv.conf"
  chroot "$base" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get update -qq \
    || fail "apt-get update in the cached root failed (is $mirror reachable?)"
fi

work=$(mktemp -d /tmp/stream-console-package-test.XXXXXX)
cleanup() {
  # The mounts lived in the private namespace and are gone with it; check before deleting.
  if findmnt -rn -o TARGET | grep -q "^$work"; then
    echo "package-test: $work still has mounts; left in place" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
cp "$deb" "$work/stream-console.deb"
# Inside the root: a private D-Bus session with an unlocked gnome-keyring (which the .deb pulls in
# through Recommends), as on a desktop. No display, so the self-test shows its window offscreen.
cat >"$work/with-keyring.sh" <<'SCRIPT'
#!/bin/bash
set -euo pipefail
mkdir -p -m 700 /tmp/run
export XDG_RUNTIME_DIR=/tmp/run
exec dbus-run-session -- bash -c '
  printf %s package-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' bash "$@"
SCRIPT
chmod 755 "$work/with-keyring.sh"
export base work version mirror
export archives=$cache/archives

phase "install, run, remove"
# Everything below runs in a private mount namespace: the overlay, /proc and the package cache
# bind mount disappear when it ends, whatever happens.
unshare --mount --propagation private bash -euo pipefail -c '
  now() { date +%s; }
  root=$work/root
  mkdir -p "$work/upper" "$work/overlay-work" "$root"
  if ! mount -t overlay overlay \
      -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/overlay-work" "$root" 2>/dev/null; then
    echo "package-test: no overlayfs here; copying the cached root instead"
    cp -a "$base/." "$root/"
  fi
  mount -t proc proc "$root/proc"
  mount --bind "$archives" "$root/var/cache/apt/archives"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  cp "$work/stream-console.deb" "$work/with-keyring.sh" "$root/tmp/"
  # A throwaway root needs no fsync after every file dpkg writes (much faster on a busy disk).
  echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/package-test-unsafe-io"
  in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive "$@"
  }
  # /opt belongs to no Debian package, so dpkg removes it with the last package in it when it
  # is empty: its absence afterwards is not a leftover, so it is not listed.
  snapshot() { in_root find /opt /usr -xdev 2>/dev/null | grep -vx /opt | LC_ALL=C sort || true; }
  snapshot >"$work/before.txt"

  t=$(now)
  echo "package-test: apt-get install ./stream-console.deb (with its Depends and Recommends)"
  in_root apt-get install -y -qq /tmp/stream-console.deb >"$work/install.log" 2>&1 \
    || { tail -30 "$work/install.log"; echo "package-test: FAILED: apt-get install" >&2; exit 1; }
  echo "package-test: install: $(( $(now) - t )) s"

  t=$(now)
  said=$(in_root stream-console --version)
  [ "$said" = "stream-console $version" ] \
    || { echo "package-test: FAILED: --version said \"$said\", not \"stream-console $version\"" >&2; exit 1; }
  echo "package-test: --version: $said"
  keyring_session() { in_root /tmp/with-keyring.sh "$@"; }
  keyring_session stream-console self-test \
    || { echo "package-test: FAILED: self-test of the installed copy" >&2; exit 1; }
  keyring_session stream-console self-test --json >"$work/self-test.json" 2>/dev/null \
    || { echo "package-test: FAILED: self-test --json of the installed copy" >&2; exit 1; }
  echo "package-test: run: $(( $(now) - t )) s; the throwaway root grew by $(du -sm "$work/upper" | cut -f1) MiB"

  t=$(now)
  in_root apt-get purge -y -qq stream-console >"$work/remove.log" 2>&1
  in_root apt-get autoremove --purge -y -qq >>"$work/remove.log" 2>&1
  snapshot >"$work/after.txt"
  LC_ALL=C comm -13 "$work/before.txt" "$work/after.txt" >"$work/left.txt"
  LC_ALL=C comm -23 "$work/before.txt" "$work/after.txt" >"$work/lost.txt"
  if [ -s "$work/left.txt" ] || [ -s "$work/lost.txt" ]; then
    sed "s/^/  left: /" "$work/left.txt"; sed "s/^/  gone: /" "$work/lost.txt"
    echo "package-test: FAILED: /opt or /usr differ from before the install (above)" >&2; exit 1
  fi
  echo "package-test: remove: $(( $(now) - t )) s; nothing left under /opt or /usr"
'
cp "$work/self-test.json" "$report_dir/self-test-installed.json"
phase "done"
echo "package-test: passed in $(( $(date +%s) - started )) s (self-test report: $report_dir/self-test-installed.json)"
