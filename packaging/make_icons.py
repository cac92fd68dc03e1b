"""Draws the platform icons from resources/icons/stream-console.svg with Qt itself, so the one
SVG stays the only icon source (the release workflow runs this before PyInstaller).

    python packaging/make_icons.py ico      -> packaging/stream-console.ico (Windows)
    python packaging/make_icons.py iconset  -> build/stream-console.iconset/ (macOS), then
    iconutil -c icns build/stream-console.iconset -o packaging/stream-console.icns
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "stream-console.svg"
# iconutil accepts exactly these names: pixel size -> file name.
ICONSET = {
    16: ["icon_16x16.png"],
    32: ["icon_16x16@2x.png", "icon_32x32.png"],
    64: ["icon_32x32@2x.png"],
    128: ["icon_128x128.png"],
    256: ["icon_128x128@2x.png", "icon_256x256.png"],
    512: ["icon_256x256@2x.png", "icon_512x512.png"],
    1024: ["icon_512x512@2x.png"],
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("ico", "iconset"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QIcon

    app = QGuiApplication([])
    icon = QIcon(str(SVG))
    if argv[0] == "ico":
        target = ROOT / "packaging" / "stream-console.ico"
        if not icon.pixmap(256, 256).save(str(target), "ICO"):
            raise SystemExit(f"make_icons: Qt could not write {target}")
        print(target)
        return 0
    folder = ROOT / "build" / "stream-console.iconset"
    folder.mkdir(parents=True, exist_ok=True)
    for size, names in ICONSET.items():
        for name in names:
            if not icon.pixmap(size, size).save(str(folder / name), "PNG"):
                raise SystemExit(f"make_icons: Qt could not write {folder / name}")
    print(folder)
    return 0 if app else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
