"""One name, icon, version and licence everywhere a user or an installer sees them: the window
title, the About dialog, `--version`, the desktop entry, the Inno Setup script, the PyInstaller
spec (and its macOS bundle) and the .deb's control and copyright files."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import console
from console import identity
from tests.test_packaging import _load_build_deb

ROOT = Path(__file__).resolve().parent.parent
build_deb = _load_build_deb()


def _defines(iss: str) -> dict[str, str]:
    return dict(re.findall(r'^\s*#define (\w+) "([^"]*)"', iss, re.MULTILINE))


def test_identity_is_the_package_version_and_names() -> None:
    assert console.__version__ == identity.VERSION
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == identity.COMMAND
    assert identity.COMMAND in pyproject["project"]["scripts"]
    assert pyproject["project"]["license"]["text"] == identity.LICENCE
    assert (ROOT / "resources" / "icons" / identity.ICON_FILE).is_file()


def test_version_command_says_the_same() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "console", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"{identity.COMMAND} {identity.VERSION}"


def test_window_title_and_about_dialog(qtbot: QtBot) -> None:
    from console.app.shell import build_main_window
    from console.ui.about_dialog import AboutDialog

    window = build_main_window(demo=False)
    qtbot.addWidget(window)
    assert window.windowTitle() == identity.NAME
    assert not window.windowIcon().isNull()
    about = AboutDialog(window, data_dir=None, log_dir=None, runtime="Python")
    heading = about.findChild(type(about.diagnostics_status), "about_heading")
    assert heading is not None
    assert heading.text() == f"<b>{identity.NAME} {identity.VERSION}</b>"
    assert about.windowTitle() == f"About {identity.NAME}"


def test_desktop_entry() -> None:
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    desktop.read(ROOT / "resources" / f"{identity.COMMAND}.desktop", encoding="utf-8")
    entry = desktop["Desktop Entry"]
    assert entry["Name"] == identity.NAME
    assert entry["Exec"] == identity.COMMAND
    assert f"{entry['Icon']}.svg" == identity.ICON_FILE


def test_inno_setup_script() -> None:
    iss = (ROOT / "packaging" / "windows" / "stream-console.iss").read_text(encoding="utf-8")
    defines = _defines(iss)
    assert defines["AppName"] == identity.NAME
    assert defines["AppCommand"] == identity.COMMAND
    assert defines["AppVersion"] == identity.VERSION  # the default when CI passes none
    assert defines["AppPublisher"] == identity.PUBLISHER
    assert defines["AppLicence"] == identity.LICENCE
    # The installer packs the PyInstaller folder of that name and starts its windowed program.
    assert 'Source: "dist\\{#AppCommand}\\*"' in iss
    assert 'Filename: "{app}\\{#AppCommand}.exe"' in iss


def test_pyinstaller_spec_and_macos_bundle() -> None:
    spec = (ROOT / "packaging" / "stream-console.spec").read_text(encoding="utf-8")
    assigned = dict(re.findall(r'^(\w+) = "([^"]*)"$', spec, re.MULTILINE))
    assert assigned["NAME"] == identity.COMMAND
    assert assigned["APP_NAME"] == identity.NAME
    assert assigned["BUNDLE_ID"] == identity.BUNDLE_ID
    assert 'name=f"{APP_NAME}.app"' in spec
    assert '"CFBundleShortVersionString": VERSION' in spec
    # The spec's VERSION comes from the same line hatch and build_deb read.
    assert '(ROOT / "console" / "__init__.py")' in spec


def test_deb_control_and_copyright(tmp_path: Path) -> None:
    assert build_deb.PACKAGE == identity.COMMAND
    assert build_deb.read_version() == identity.VERSION
    assert build_deb.APP_NAME == identity.NAME
    assert build_deb.LICENCE == identity.LICENCE
    assert build_deb.MAINTAINER.startswith(identity.PUBLISHER)
    assert build_deb.ICON.name == identity.ICON_FILE
    control = build_deb.Control(identity.VERSION, "amd64", 1, ("libc6",)).text()
    assert f"Package: {identity.COMMAND}\nVersion: {identity.VERSION}\n" in control


@pytest.mark.parametrize("path", ["README.md", "CHANGELOG.md"])
def test_docs_name_the_product_as_the_app_does(path: str) -> None:
    assert identity.NAME in (ROOT / path).read_text(encoding="utf-8")
