#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring (the real Secret
# Service), a throwaway HOME and an offscreen Qt platform, so tests never touch the user's keyring
# or settings.
set -euo pipefail
scratch=$(mktemp -d -t stream-console-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/runtime"
chmod 700 "$scratch/runtime"
export HOME="$scratch/home"
export XDG_RUNTIME_DIR="$scratch/runtime"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export STREAM_CONSOLE_TEST_KEYRING=1
exec dbus-run-session -- bash -c '
  printf %s "test-keyring-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' bash "$@"
