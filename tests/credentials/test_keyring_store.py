"""The OS keyring, for real: the Secret Service of the gnome-keyring that `make test` unlocks in a
private D-Bus session (scripts/with-test-keyring.sh). Locked and missing keyrings are real too,
made in subprocesses with their own D-Bus session or none."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from console.credentials.errors import KeyringLocked, KeyringTimeout, KeyringUnavailable
from console.credentials.keyring_store import KeyringCredentialStore, backend_name, choose_backend
from console.credentials.store import LayeredCredentialStore, MemoryCredentialStore
from console.domain.secret import Secret

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_keyring() -> None:
    """These tests need the unlocked gnome-keyring that `make test` provides; without it they
    fail rather than skip, so a broken CI set-up cannot hide them."""
    if os.environ.get("STREAM_CONSOLE_TEST_KEYRING") != "1":
        pytest.fail("run through `make test` (scripts/with-test-keyring.sh) for a real keyring")


needs_test_keyring = pytest.mark.usefixtures("real_keyring")


@pytest.fixture
def service() -> Iterator[str]:
    """A keyring service name of its own per test, cleaned up afterwards."""
    name = f"stream-console-test-{uuid.uuid4().hex[:8]}"
    yield name
    backend = choose_backend()
    for user in ("p1", "p2"):
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            backend.delete_password(name, user)


@needs_test_keyring
@pytest.mark.asyncio
async def test_round_trip_two_profiles_unicode_and_restart(service: str) -> None:
    store = KeyringCredentialStore(service=service)
    assert "SecretService" in backend_name(store.backend)
    await store.set("p1", Secret("tøken-ünïcode-🔑-1"))
    await store.set("p2", Secret("second-token-2"))
    assert (await store.get("p1")) == Secret("tøken-ünïcode-🔑-1")
    # A "restart": a new process with a fresh keyring module reads what we wrote.
    code = f"import keyring; print(keyring.get_password({service!r}, 'p2'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "second-token-2"
    await store.delete("p1")
    assert await store.get("p1") is None
    assert (await store.get("p2")) == Secret("second-token-2")
    await store.delete("p1")  # deleting twice is fine


def test_chainer_with_only_unsafe_backends_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.backend
    import keyring.backends.chainer
    import keyring.backends.fail
    import keyrings.alt.file

    found = [keyring.backends.fail.Keyring(), keyrings.alt.file.PlaintextKeyring()]
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: found)
    chain = keyring.backends.chainer.ChainerBackend()
    assert [type(b).__name__ for b in chain.backends] == ["PlaintextKeyring"]
    with pytest.raises(KeyringUnavailable) as info:
        choose_backend(chain)
    assert "PlaintextKeyring" in info.value.message


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "backend_path",
    [
        "keyring.backends.fail.Keyring",
        "keyrings.alt.file.PlaintextKeyring",
        "keyring.backends.null.Keyring",
    ],
)
async def test_unsafe_backends_are_refused_and_write_nothing(
    backend_path: str, tmp_path: Path
) -> None:
    module, _, cls = backend_path.rpartition(".")
    backend = getattr(__import__(module, fromlist=[cls]), cls)()
    before = sorted(p for p in Path.home().rglob("*") if p.is_file())
    store = KeyringCredentialStore(backend)
    with pytest.raises(KeyringUnavailable) as info:
        await store.set("p1", Secret("PLIVO-CANARY-never-written"))
    assert "never in a plain file" in info.value.message and "session only" in info.value.fix
    with pytest.raises(KeyringUnavailable):
        await store.get("p1")
    after = sorted(p for p in Path.home().rglob("*") if p.is_file())
    assert after == before


def _run_isolated(script: str, env_extra: dict[str, str], tmp: Path, *, dbus: bool) -> str:
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    env.update(HOME=str(tmp / "home"), XDG_RUNTIME_DIR=str(tmp / "run"), PYTHONPATH=str(REPO))
    env.update(env_extra)
    (tmp / "home").mkdir()
    (tmp / "run").mkdir(mode=0o700)
    body = textwrap.dedent(script)
    cmd = [sys.executable, "-c", body]
    if dbus:
        inner = 'gnome-keyring-daemon --start --components=secrets >/dev/null; exec "$@"'
        cmd = ["dbus-run-session", "--", "sh", "-c", inner, "sh", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=30)
    return out.stdout.strip() or out.stderr.strip()


STORE_SCRIPT = """
    import asyncio
    from console.credentials.keyring_store import KeyringCredentialStore
    from console.domain.secret import Secret
    from console.credentials.errors import CredentialError
    async def main():
        store = KeyringCredentialStore()
        for op in (lambda: store.get("p1"), lambda: store.set("p1", Secret("PLIVO-CANARY-x1y2"))):
            try:
                await op()
                print("OK")
            except CredentialError as exc:
                print(type(exc).__name__)
    asyncio.run(main())
"""


@needs_test_keyring
def test_locked_keyring_is_an_error_never_absence(tmp_path: Path) -> None:
    out = _run_isolated(STORE_SCRIPT, {}, tmp_path, dbus=True)
    assert out.splitlines()[-2:] == ["KeyringLocked", "KeyringLocked"], out
    home_files = [p.read_bytes() for p in (tmp_path / "home").rglob("*") if p.is_file()]
    assert not any(b"PLIVO-CANARY-x1y2" in blob for blob in home_files)


def test_no_dbus_means_unavailable_even_with_plaintext_backend_installed(tmp_path: Path) -> None:
    # keyrings.alt is installed in the test venv, so keyring itself would pick PlaintextKeyring.
    out = _run_isolated(STORE_SCRIPT, {}, tmp_path, dbus=False)
    assert out.splitlines()[-2:] == ["KeyringUnavailable", "KeyringUnavailable"], out
    home_files = [p.read_bytes() for p in (tmp_path / "home").rglob("*") if p.is_file()]
    assert not any(b"PLIVO-CANARY-x1y2" in blob for blob in home_files)


class HangingKeyring:
    """A backend stuck on an unlock prompt nobody answers (a fake: a real hang cannot be
    produced on demand). Duck-typed, not a KeyringBackend subclass: subclasses register
    themselves with keyring's backend discovery."""

    priority = 10

    def __init__(self) -> None:
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return "late"

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait(30)

    def delete_password(self, service: str, username: str) -> None:
        self.release.wait(30)


@pytest.mark.asyncio
async def test_hanging_backend_times_out_without_blocking_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = HangingKeyring()
    monkeypatch.setenv("STREAM_CONSOLE_ALLOW_KEYRING_BACKEND", backend_name(backend))
    store = KeyringCredentialStore(backend, timeout_s=0.5)
    ticks: list[float] = []

    async def probe() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    prober = asyncio.ensure_future(probe())
    try:
        started = time.monotonic()
        with pytest.raises(KeyringTimeout) as info:
            await store.get("p1")
        assert 0.45 <= time.monotonic() - started < 2.0
        assert "did not answer within 0.5 s" in info.value.message
    finally:
        prober.cancel()
        backend.release.set()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 20 and max(gaps) < 0.2


@pytest.mark.asyncio
async def test_layered_store_session_token_never_reaches_the_keyring() -> None:
    class LockedStore(MemoryCredentialStore):
        async def get(self, profile_id: str) -> Secret | None:
            raise KeyringLocked()

        async def set(self, profile_id: str, token: Secret) -> None:
            raise KeyringLocked()

    layered = LayeredCredentialStore(LockedStore(), MemoryCredentialStore())
    with pytest.raises(KeyringLocked):
        await layered.get("p1")
    await layered.set_for_session("p1", Secret("session-only-token"))
    assert (await layered.get("p1")) == Secret("session-only-token")
    with pytest.raises(KeyringLocked):
        await layered.set("p1", Secret("x" * 10))


def test_secret_is_masked_and_unpicklable() -> None:
    import pickle

    s = Secret("PLIVO-CANARY-abcdef")
    assert "CANARY" not in repr(s) and "CANARY" not in str(s) and "CANARY" not in f"{s}"
    assert "CANARY" not in repr([s, {"t": s}])
    with pytest.raises(TypeError):
        pickle.dumps(s)
    assert s.reveal() == "PLIVO-CANARY-abcdef"


# --- the allowlist ---------------------------------------------------------------------------

FILE_BACKEND = "tests.credentials.insecure_store.FileBackend"


@pytest.mark.asyncio
async def test_a_file_backend_outside_the_allowlist_is_refused_with_a_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plaintext file keyring under another name: the old blocklist (keyrings.alt.*, names
    with "plaintext") let it through and it wrote the token in clear."""
    import keyrings.alt.file

    class ObscuredFileKeyring(keyrings.alt.file.PlaintextKeyring):  # type: ignore[misc]
        priority = 0.1

    monkeypatch.delenv("STREAM_CONSOLE_ALLOW_KEYRING_BACKEND", raising=False)
    backend = ObscuredFileKeyring()
    name = backend_name(backend)
    before = sorted(p for p in Path.home().rglob("*") if p.is_file())
    store = KeyringCredentialStore(backend)
    with pytest.raises(KeyringUnavailable) as info:
        await store.set("p1", Secret("PLIVO-CANARY-never-written"))
    assert name in info.value.message
    assert f"STREAM_CONSOLE_ALLOW_KEYRING_BACKEND={name}" in info.value.fix
    assert sorted(p for p in Path.home().rglob("*") if p.is_file()) == before


def test_keyrings_alt_encrypted_keyring_is_refused() -> None:
    import keyrings.alt.file

    cls = keyrings.alt.file.EncryptedKeyring
    backend = cls.__new__(cls)  # its constructor needs pycryptodome; the check needs the class
    with pytest.raises(KeyringUnavailable) as info:
        choose_backend(backend, {})
    assert "keyrings.alt.file.EncryptedKeyring" in info.value.message


def test_a_subclass_of_an_os_keyring_is_not_the_os_keyring() -> None:
    import keyring.backends.SecretService

    class Lookalike(keyring.backends.SecretService.Keyring):  # type: ignore[misc]
        priority = 1

    with pytest.raises(KeyringUnavailable):
        choose_backend(Lookalike())


def test_fail_and_null_are_refused_even_when_opted_in() -> None:
    import keyring.backends.fail
    import keyring.backends.null

    for backend in (keyring.backends.fail.Keyring(), keyring.backends.null.Keyring()):
        name = backend_name(backend)
        with pytest.raises(KeyringUnavailable) as info:
            choose_backend(backend, {"STREAM_CONSOLE_ALLOW_KEYRING_BACKEND": name})
        assert "STREAM_CONSOLE_ALLOW_KEYRING_BACKEND" not in info.value.fix  # no false hope


@needs_test_keyring
def test_the_test_keyring_chainer_uses_its_os_member_only() -> None:
    # keyrings.alt's PlaintextKeyring is installed here and joins keyring's chainer.
    chain = keyring.get_keyring()
    names = [backend_name(b) for b in getattr(chain, "backends", [])]
    assert "keyrings.alt.file.PlaintextKeyring" in names
    assert backend_name(choose_backend(chain)) == "keyring.backends.SecretService.Keyring"


OPT_IN_SCRIPT = """
    import asyncio, logging, sys
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="LOG %(message)s")
    from console.credentials.keyring_store import KeyringCredentialStore
    from console.domain.secret import Secret
    from console.credentials.errors import CredentialError
    async def main():
        store = KeyringCredentialStore()
        try:
            await store.set("p1", Secret("PLIVO-CANARY-optin"))
            print("STORED", (await store.get("p1")).reveal() == "PLIVO-CANARY-optin")
            print("WARNING", store.warning)
        except CredentialError as exc:
            print(type(exc).__name__)
    asyncio.run(main())
"""


def test_python_keyring_backend_file_store_is_refused_unless_explicitly_allowed(
    tmp_path: Path,
) -> None:
    env = {"PYTHON_KEYRING_BACKEND": FILE_BACKEND}
    out = _run_isolated(OPT_IN_SCRIPT, env, tmp_path / "refused", dbus=False)
    assert out.splitlines()[-1] == "KeyringUnavailable", out
    assert not (tmp_path / "refused" / "home" / "insecure-tokens.json").exists()

    env["STREAM_CONSOLE_ALLOW_KEYRING_BACKEND"] = FILE_BACKEND
    out = _run_isolated(OPT_IN_SCRIPT, env, tmp_path / "allowed", dbus=False)
    lines = out.splitlines()
    assert "STORED True" in lines, out
    warned = [line for line in lines if line.startswith("LOG keyring: Tokens are kept by")]
    assert len(warned) == 1 and FILE_BACKEND in warned[0] and "not an OS keyring" in warned[0]
    assert any(line.startswith("WARNING Tokens are kept by") for line in lines), out
    stored = (tmp_path / "allowed" / "home" / "insecure-tokens.json").read_text()
    assert "PLIVO-CANARY-optin" in stored  # the opt-in really hands tokens to that backend
