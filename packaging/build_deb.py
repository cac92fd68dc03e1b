"""Builds dist/stream-console_<version>_<arch>.deb: `make package` runs this.

The PyInstaller one-folder build (packaging/stream-console.spec) goes to /opt/stream-console, with
a /usr/bin/stream-console launcher, the desktop entry and the hicolor SVG icon. `Depends` lists
what the bundle loads from outside itself (found with ldd, mapped to packages with dpkg), so it
holds for the machine the bundle was built on: build on the oldest Debian you support.

    python packaging/build_deb.py [--skip-pyinstaller] [--output DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "stream-console"
INSTALL_DIR = f"/opt/{PACKAGE}"
SPEC = ROOT / "packaging" / f"{PACKAGE}.spec"
DESKTOP_FILE = ROOT / "resources" / f"{PACKAGE}.desktop"
ICON = ROOT / "resources" / "icons" / f"{PACKAGE}.svg"
# Name, publisher and licence as in console/identity.py (tests/test_identity.py checks).
APP_NAME = "Stream Console"
PUBLISHER = "Stream Console founders"
LICENCE = "Proprietary"
MAINTAINER = f"{PUBLISHER} <founders@stream-console.invalid>"
SUMMARY = "desktop operator console for Plivo's Audio Stream API"
DESCRIPTION = (
    "Support agents pick a live call, start and stop audio streams on it and watch the\n"
    "status callbacks arrive. Ships its own Python and Qt under /opt/stream-console;\n"
    "`stream-console --demo` runs against an embedded Plivo simulator."
)
# Read at run time rather than linked, so ldd cannot see them: fontconfig's configuration (the
# bundled libfontconfig reads /etc/fonts; without it no text is drawn) and, through its
# dependencies, at least one font.
DATA_DEPENDS = ("fontconfig-config",)
# Tokens live in the Secret Service; a desktop without one gets a clear message, not a crash.
RECOMMENDS = ("gnome-keyring",)


@dataclass(frozen=True, slots=True)
class Control:
    """The fields of DEBIAN/control this builder fills in."""

    version: str
    architecture: str
    installed_size_kib: int
    depends: tuple[str, ...]
    recommends: tuple[str, ...] = RECOMMENDS

    def text(self) -> str:
        description = "\n".join(
            " " + line if line.strip() else " ." for line in DESCRIPTION.splitlines()
        )
        fields = [
            ("Package", PACKAGE),
            ("Version", self.version),
            ("Architecture", self.architecture),
            ("Maintainer", MAINTAINER),
            ("Installed-Size", str(self.installed_size_kib)),
            ("Depends", ", ".join(self.depends)),
            ("Recommends", ", ".join(self.recommends)),
            ("Section", "net"),
            ("Priority", "optional"),
            ("Description", f"{SUMMARY}\n{description}"),
        ]
        return "".join(f"{name}: {value}\n" for name, value in fields if value)


def read_version(root: Path = ROOT) -> str:
    """The version hatch builds from (pyproject's [tool.hatch.version] path)."""
    text = (root / "console" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit("build_deb: no __version__ in console/__init__.py")
    return match.group(1)


def run_pyinstaller(work: Path) -> Path:
    """Runs the spec; returns the one-folder build."""
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(work / "dist"), "--workpath", str(work / "work"), str(SPEC)],
        check=True,
        cwd=ROOT,
    )  # fmt: skip
    return work / "dist" / PACKAGE


def _elf_files(bundle: Path) -> list[Path]:
    found = []
    for path in sorted(bundle.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def outside_libraries(bundle: Path) -> set[Path]:
    """Libraries the bundle's ELF files resolve outside the bundle; a missing one is fatal."""
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}")
    outside: set[Path] = set()
    missing: set[str] = set()
    for elf in _elf_files(bundle):
        result = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env)
        for line in result.stdout.splitlines():
            name, arrow, target = line.strip().partition(" => ")
            if not arrow:
                continue
            if target.startswith("not found"):
                missing.add(f"{name} (needed by {elf.relative_to(bundle)})")
                continue
            path = Path(target.split(" (")[0])
            if bundle not in path.resolve().parents:
                outside.add(path)
    if missing:
        raise SystemExit(
            "build_deb: the bundle links libraries this machine lacks (install them, rebuild):\n  "
            + "\n  ".join(sorted(missing))
        )
    return outside


def owning_packages(paths: Iterable[Path]) -> set[str]:
    """Debian packages holding `paths` (merged /usr aware: /lib/x is also tried as /usr/lib/x)."""
    packages: set[str] = set()
    for path in paths:
        twins = [str(path), str(path.resolve())]
        twins += [t.removeprefix("/usr") if t.startswith("/usr/") else "/usr" + t for t in twins]
        for candidate in dict.fromkeys(twins):
            result = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
            if result.returncode == 0:
                packages.add(result.stdout.split(":", 1)[0].strip())
                break
        else:
            raise SystemExit(f"build_deb: no Debian package owns {path}")
    return packages


def glibc_floor() -> str:
    """The build machine's glibc (e.g. 2.36): the bundle may use any of its symbols."""
    described = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"
    if not described or not described.startswith("glibc "):
        raise SystemExit("build_deb: not a glibc system; the .deb's libc6 floor is unknown")
    return described.split()[-1]


def depends_for(packages: Iterable[str], libc_version: str) -> tuple[str, ...]:
    names = sorted({p.split(":")[0] for p in packages} | set(DATA_DEPENDS))
    return tuple(f"libc6 (>= {libc_version})" if n == "libc6" else n for n in names)


def _normalise_modes(tree: Path) -> None:
    """0755 for folders and executables, 0644 for the rest, whatever the builder's umask."""
    for path in [tree, *tree.rglob("*")]:
        if path.is_symlink():
            continue
        executable = path.is_dir() or bool(path.stat().st_mode & 0o111)
        path.chmod(0o755 if executable else 0o644)


def directory_kib(tree: Path) -> int:
    return sum(-(-p.lstat().st_size // 1024) for p in tree.rglob("*") if not p.is_dir())


def stage(
    bundle: Path, staging: Path, *, version: str, architecture: str, depends: Sequence[str]
) -> Control:
    """Lays out the package tree under `staging` and writes DEBIAN/control."""
    if staging.exists():
        shutil.rmtree(staging)
    opt = staging / INSTALL_DIR.lstrip("/")
    shutil.copytree(bundle, opt, symlinks=True)
    usr_bin = staging / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    # The bootloader finds _internal/ through /proc/self/exe, so a symlink is launcher enough.
    (usr_bin / PACKAGE).symlink_to(f"{INSTALL_DIR}/{PACKAGE}")
    share = staging / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(DESKTOP_FILE, share / "applications" / DESKTOP_FILE.name)
    icons = share / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copy2(ICON, icons / ICON.name)
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        f"{APP_NAME} {version}\nCopyright: {PUBLISHER}\nLicense: {LICENCE}\n\n"
        f"{INSTALL_DIR} also holds Python, Qt 6 (LGPLv3), PySide6 (LGPLv3) and the other\n"
        "libraries the program runs on, each under its own licence.\n",
        encoding="utf-8",
    )
    _normalise_modes(staging)
    control = Control(version, architecture, directory_kib(staging), tuple(depends))
    debian = staging / "DEBIAN"
    debian.mkdir(mode=0o755)
    (debian / "control").write_text(control.text(), encoding="utf-8")
    (debian / "control").chmod(0o644)
    return control


def build_deb(staging: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(staging), str(output)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "dist", help="folder for the .deb")
    parser.add_argument(
        "--skip-pyinstaller", action="store_true", help="reuse build/pyinstaller/dist as it is"
    )
    args = parser.parse_args(argv)
    for tool in ("dpkg-deb", "dpkg-query", "ldd"):
        if shutil.which(tool) is None:
            raise SystemExit(f"build_deb: {tool} not found (a Debian-family machine is needed)")

    started = time.monotonic()
    work = ROOT / "build" / "pyinstaller"
    bundle = work / "dist" / PACKAGE
    if not args.skip_pyinstaller:
        run_pyinstaller(work)
    frozen = time.monotonic()
    if not (bundle / PACKAGE).is_file():
        raise SystemExit(f"build_deb: no PyInstaller build at {bundle}")

    version = read_version()
    architecture = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    depends = depends_for(owning_packages(outside_libraries(bundle)), glibc_floor())
    staging = ROOT / "build" / "deb" / f"{PACKAGE}_{version}_{architecture}"
    control = stage(bundle, staging, version=version, architecture=architecture, depends=depends)
    deb = args.output / f"{PACKAGE}_{version}_{architecture}.deb"
    build_deb(staging, deb)
    done = time.monotonic()

    print(f"built {deb.relative_to(ROOT) if deb.is_relative_to(ROOT) else deb}")
    print(f"  one-folder build: {directory_kib(bundle) / 1024:.0f} MiB")
    deb_mib, installed_mib = deb.stat().st_size / 2**20, control.installed_size_kib / 1024
    print(f"  .deb: {deb_mib:.0f} MiB, installed {installed_mib:.0f} MiB")
    print(f"  Depends: {', '.join(control.depends)}")
    print(f"  Recommends: {', '.join(control.recommends)}")
    pyinstaller_s = "skipped" if args.skip_pyinstaller else f"{frozen - started:.0f} s"
    print(f"  time: PyInstaller {pyinstaller_s}, packaging {done - frozen:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
