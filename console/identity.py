"""The one name, icon, version and licence the console shows everywhere: window title, About
dialog, `--version`, the desktop entry and the installers (tests/test_identity.py checks that the
packaging files say the same). Plain constants, importable from every layer."""

from __future__ import annotations

from console import __version__

NAME = "Stream Console"
COMMAND = "stream-console"  # the command, the .deb, the desktop entry and the icon file
ICON_FILE = f"{COMMAND}.svg"  # under resources/icons/
VERSION = __version__
LICENCE = "Proprietary"
PUBLISHER = "Stream Console founders"
BUNDLE_ID = "com.streamconsole.StreamConsole"  # macOS bundle identifier
DOCS_URL = "https://www.plivo.com/docs/voice/api/stream/"
