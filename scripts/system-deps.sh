#!/usr/bin/env bash
# Installs the Debian packages Stream Console needs that are not installed yet.
#   scripts/system-deps.sh run    Qt's X11 libraries, so the window can open on a desktop or Xvfb
#   scripts/system-deps.sh test   Qt offscreen libraries, D-Bus and gnome-keyring for the real
#                                 Secret Service used by the tests, Xvfb for screenshots,
#                                 the PostgreSQL server for the team-database tests, the AT-SPI
#                                 bus and python3-pyatspi for the screen-reader tests
#   scripts/system-deps.sh package  what `make package` needs: every library the PyInstaller
#                                 bundle takes in or links, binutils (objcopy) and dpkg-deb
# Only missing packages are installed, so a second run costs nothing.
set -euo pipefail

common=(python3 python3-venv python3-dev ca-certificates
        libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 libx11-6 libxcb1
        fonts-dejavu-core)
x11=(libx11-xcb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
     libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxcb-shm0
     libxcb-sync1 libxcb-xinerama0 libxrender1 libsm6 libice6 xvfb xauth)
keyring=(dbus-daemon dbus-bin gnome-keyring libsecret-tools)
# Qt's Wayland plugin links these; PyInstaller never bundles them, so they must be here to be
# resolved (and become the .deb's Depends).
wayland=(libwayland-client0 libwayland-cursor0 libwayland-egl1)

case "${1:-run}" in
  run) wanted=("${common[@]}" "${x11[@]}" "${keyring[@]}") ;;
  test)
    wanted=("${common[@]}" "${x11[@]}" "${keyring[@]}")
    # The code-snippet tests run curl and `node --check`; any install of them will do.
    command -v curl >/dev/null 2>&1 || wanted+=(curl)
    command -v node >/dev/null 2>&1 || wanted+=(nodejs)
    # tests/pg start a throwaway PostgreSQL cluster with the server's own binaries.
    wanted+=(postgresql)
    # tests/ui/test_atspi.py reads the window as Orca does: the accessibility bus, and the
    # system Python's AT-SPI client (not on PyPI).
    wanted+=(at-spi2-core python3-pyatspi)
    ;;
  package) wanted=("${common[@]}" "${x11[@]}" "${wayland[@]}" binutils dpkg) ;;
  *) echo "usage: $0 run|test|package" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian-family system; install the Qt/X11 libraries listed in this script by hand." >&2
  exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "system-deps: run as root, or install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
