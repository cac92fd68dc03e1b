"""The installer's pieces stay consistent with the project, and the .deb builder's own steps work.

PyInstaller itself is not run here (about 20 s plus 30 s of packing: `make package` does that);
dpkg-deb, dpkg-query and ldd are, on small real inputs.
"""

from __future__ import annotations

import configparser
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

import console

ROOT = Path(__file__).resolve().parent.parent
SPEC_TEXT = (ROOT / "packaging" / "stream-console.spec").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _load_build_deb() -> ModuleType:
    # packaging/ is no Python package (the name would shadow PyPA's `packaging`): load the file.
    spec = importlib.util.spec_from_file_location("build_deb", ROOT / "packaging" / "build_deb.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


build_deb = _load_build_deb()


def test_deb_version_is_the_package_version() -> None:
    assert build_deb.read_version() == console.__version__
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "console/__init__.py"


def test_read_version_refuses_a_file_without_one(tmp_path: Path) -> None:
    (tmp_path / "console").mkdir()
    (tmp_path / "console" / "__init__.py").write_text('"""no version here"""\n')
    with pytest.raises(SystemExit, match="no __version__"):
        build_deb.read_version(tmp_path)


def test_names_agree_across_spec_deb_entry_point_and_desktop_file() -> None:
    name = build_deb.PACKAGE
    assert name == PYPROJECT["project"]["name"]
    assert PYPROJECT["project"]["scripts"][name] == "console.app.cli:main"
    assert re.search(rf'^NAME = "{name}"$', SPEC_TEXT, re.MULTILINE)
    # The spec starts where `python -m console` starts, which calls the entry point.
    assert '"console" / "__main__.py"' in SPEC_TEXT
    assert "from console.app.cli import main" in (ROOT / "console" / "__main__.py").read_text()

    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    desktop.read(build_deb.DESKTOP_FILE, encoding="utf-8")
    entry = desktop["Desktop Entry"]
    # Found on PATH through /usr/bin/stream-console. No %U/%F: the command takes no files or
    # URLs, and one dropped on the launcher would only make argparse refuse to start.
    assert entry["Exec"] == name
    assert entry["Icon"] == build_deb.ICON.stem
    assert build_deb.ICON.suffix == ".svg" and build_deb.ICON.is_file()


def test_the_bundle_carries_resources_where_the_wheel_does() -> None:
    wheel_target = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert wheel_target == {"resources": "console/_resources"}
    assert '(str(ROOT / "resources"), "console/_resources")' in SPEC_TEXT


def test_pyinstaller_is_only_a_packaging_extra() -> None:
    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}

    extras = PYPROJECT["project"]["optional-dependencies"]
    assert "pyinstaller" in names(extras["packaging"])
    assert "pyinstaller" not in names(PYPROJECT["project"]["dependencies"])
    assert "pyinstaller" not in names(extras["test"])


def test_depends_puts_a_glibc_floor_and_the_font_configuration() -> None:
    depends = build_deb.depends_for({"libxcb1", "libc6", "libgl1:amd64"}, "2.36")
    assert depends == ("fontconfig-config", "libc6 (>= 2.36)", "libgl1", "libxcb1")


def test_control_text_is_well_formed() -> None:
    control = build_deb.Control("1.2.3", "amd64", 4096, ("libc6 (>= 2.36)", "libxcb1"))
    fields = dict(
        line.split(": ", 1) for line in control.text().splitlines() if not line.startswith(" ")
    )
    assert fields["Package"] == "stream-console" and fields["Version"] == "1.2.3"
    assert fields["Depends"] == "libc6 (>= 2.36), libxcb1"
    assert fields["Recommends"] == "gnome-keyring"
    assert fields["Installed-Size"] == "4096"
    # Description continuation lines start with a space; an empty one is " .".
    assert all(
        line.startswith(" ") for line in control.text().split("Description: ")[1].splitlines()[1:]
    )


def _running_libc() -> Path:
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if re.search(r"/libc\.so\.6$", path):
            return Path(path)
    raise AssertionError("libc.so.6 not mapped")


def test_owning_packages_finds_libc_on_either_side_of_merged_usr() -> None:
    libc = _running_libc()
    twin = Path(str(libc).removeprefix("/usr")) if str(libc).startswith("/usr/") else libc
    assert build_deb.owning_packages([libc, twin]) == {"libc6"}
    with pytest.raises(SystemExit, match="no Debian package owns"):
        build_deb.owning_packages([Path("/nonexistent/libnothing.so.1")])


def test_outside_libraries_sees_what_a_bundled_program_links(tmp_path: Path) -> None:
    bundle = tmp_path / "stream-console"
    (bundle / "_internal").mkdir(parents=True)
    true = shutil.which("true")
    assert true is not None
    shutil.copy2(true, bundle / "stream-console")
    (bundle / "_internal" / "notes.txt").write_text("not an ELF file")
    outside = build_deb.outside_libraries(bundle)
    assert any(p.name == "libc.so.6" for p in outside)
    assert all(bundle not in p.parents for p in outside)


def _fake_bundle(root: Path) -> Path:
    bundle = root / "stream-console"
    (bundle / "_internal").mkdir(parents=True)
    launcher = bundle / "stream-console"
    launcher.write_text("#!/bin/sh\necho stream-console 0.0.0\n")
    launcher.chmod(0o700)  # the builder must widen this to 0755
    (bundle / "_internal" / "base_library.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (bundle / "_internal" / "base_library.zip").chmod(0o600)
    return bundle


def test_a_small_deb_builds_and_reads_back(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path)
    staging = tmp_path / "staging"
    control = build_deb.stage(
        bundle, staging, version="9.8.7", architecture="amd64", depends=("libc6 (>= 2.36)",)
    )
    assert control.installed_size_kib >= 1
    deb = tmp_path / "out" / "stream-console_9.8.7_amd64.deb"
    build_deb.build_deb(staging, deb)

    def dpkg_deb(*args: str) -> str:
        return subprocess.run(
            ["dpkg-deb", *args, str(deb)], capture_output=True, text=True, check=True
        ).stdout

    assert dpkg_deb("--field").splitlines()[:3] == [
        "Package: stream-console",
        "Version: 9.8.7",
        "Architecture: amd64",
    ]
    assert "Depends: libc6 (>= 2.36)" in dpkg_deb("--field")
    listing = {
        line.split()[5].removeprefix("."): line for line in dpkg_deb("--contents").splitlines()
    }
    for path in (
        "/opt/stream-console/stream-console",
        "/opt/stream-console/_internal/base_library.zip",
        "/usr/share/applications/stream-console.desktop",
        "/usr/share/icons/hicolor/scalable/apps/stream-console.svg",
        "/usr/share/doc/stream-console/copyright",
    ):
        assert path in listing, path
        assert " root/root " in listing[path]
    assert listing["/opt/stream-console/stream-console"].startswith("-rwxr-xr-x")
    assert listing["/opt/stream-console/_internal/base_library.zip"].startswith("-rw-r--r--")
    assert listing["/usr/bin/stream-console"].endswith(
        "/usr/bin/stream-console -> /opt/stream-console/stream-console"
    )
