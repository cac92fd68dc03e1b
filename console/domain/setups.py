"""Stream setups: named, saved stream forms a team shares (docs/stream-setups.md).

A setup holds every parameter of the stream form. "Send status callbacks to this console" is
kept as that intent (`callbacks_to_console`), never as the tunnel address it had when saved: a
quick tunnel changes address on every start, and each agent's console has its own.

Setups travel as a versioned JSON file a lead sends to the team. Importing is all or nothing:
every setup is checked by the form's own rules for the target (Plivo or the simulator) and the
file's shape is checked first; one bad setup, and nothing is imported, with a message per setup.
Names already taken are reported for the caller to ask about (replace, keep both, skip).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from console.domain.stream_params import (
    DEFAULT_AUDIO_TRACK,
    DEFAULT_CALLBACK_METHOD,
    DEFAULT_CONTENT_TYPE,
)
from console.domain.stream_rules import StreamFormInput, Target, check_form

FORMAT = "stream-console-setups"
VERSION = 1
MAX_FILE_BYTES = 1024 * 1024
MAX_SETUPS = 500
MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class StreamSetup:
    """One saved form. `status_callback_url` is ignored while `callbacks_to_console` is on."""

    name: str
    service_url: str = ""
    bidirectional: bool = False
    audio_track: str = DEFAULT_AUDIO_TRACK.value
    stream_timeout: str = ""
    callbacks_to_console: bool = False
    status_callback_url: str = ""
    status_callback_method: str = DEFAULT_CALLBACK_METHOD.value
    content_type: str = DEFAULT_CONTENT_TYPE.value
    extra_headers: str = ""

    @classmethod
    def from_form(
        cls, name: str, form: StreamFormInput, *, callbacks_to_console: bool
    ) -> StreamSetup:
        return cls(
            name=clean_name(name),
            service_url=form.service_url.strip(),
            bidirectional=form.bidirectional,
            audio_track=form.audio_track,
            stream_timeout=form.stream_timeout.strip(),
            callbacks_to_console=callbacks_to_console,
            status_callback_url="" if callbacks_to_console else form.status_callback_url.strip(),
            status_callback_method=form.status_callback_method,
            content_type=form.content_type,
            extra_headers=form.extra_headers.strip(),
        )

    def form_input(self, console_callback_url: str = "") -> StreamFormInput:
        """The form values this setup shows; the console's own callback URL stands in for
        `callbacks_to_console` ('' when the receiver has no public URL yet)."""
        callback = console_callback_url if self.callbacks_to_console else self.status_callback_url
        return StreamFormInput(
            service_url=self.service_url,
            bidirectional=self.bidirectional,
            audio_track=self.audio_track,
            stream_timeout=self.stream_timeout,
            status_callback_url=callback,
            status_callback_method=self.status_callback_method,
            content_type=self.content_type,
            extra_headers=self.extra_headers,
        )


FIELD_WORDS: Mapping[str, str] = {
    "service_url": "Stream URL",
    "bidirectional": "Bidirectional",
    "audio_track": "Audio track",
    "stream_timeout": "Stream timeout",
    "callbacks_to_console": "Callbacks to this console",
    "status_callback_url": "Status callback URL",
    "status_callback_method": "Callback method",
    "content_type": "Audio format",
    "extra_headers": "Extra headers",
}


def clean_name(name: str) -> str:
    """A name as shown and compared: no control characters, spaces collapsed, cut."""
    printable = "".join(c if c.isprintable() else " " for c in name)
    return " ".join(printable.split())[:MAX_NAME]


def differences(
    setup: StreamSetup, form: StreamFormInput, *, callbacks_to_console: bool
) -> list[str]:
    """The fields (in words) where what the form shows differs from the chosen setup."""
    shown = StreamSetup.from_form(setup.name, form, callbacks_to_console=callbacks_to_console)
    return [
        FIELD_WORDS[f.name]
        for f in fields(StreamSetup)
        if f.name != "name" and getattr(shown, f.name) != getattr(setup, f.name)
    ]


def problems(setup: StreamSetup, *, target: Target) -> list[str]:
    """What the form's rules say against this setup (errors only): the import gate."""
    if not setup.name:
        return ["it has no name"]
    stand_in = "https://console.example/plivo/stream-status" if setup.callbacks_to_console else ""
    report = check_form(setup.form_input(stand_in), target=target)
    return [p.message for p in report.problems if p.is_error]


def unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or `name (2)`, `name (3)`… when taken (for Duplicate and "keep both")."""
    used = {n.casefold() for n in taken}
    if name.casefold() not in used:
        return name
    n = 2
    while f"{name} ({n})".casefold() in used:
        n += 1
    return clean_name(f"{name} ({n})")


# --- the file ------------------------------------------------------------------------------


def export_text(setups: Sequence[StreamSetup]) -> str:
    """The JSON file for `setups` (UTF-8, one setup per entry, keys as in the form)."""
    body = {"format": FORMAT, "version": VERSION, "setups": [asdict(s) for s in setups]}
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What a file would import: `setups` only when `errors` is empty (all or nothing)."""

    setups: tuple[StreamSetup, ...] = ()
    errors: tuple[str, ...] = ()
    clashes: tuple[str, ...] = ()  # names already taken, for the caller to ask about

    @property
    def ok(self) -> bool:
        return not self.errors


_TYPES: Mapping[str, type] = {
    f.name: (bool if f.type == "bool" else str) for f in fields(StreamSetup)
}


def parse_import(data: bytes, *, target: Target, taken: Iterable[str] = ()) -> ImportReport:
    """Read a setups file: its shape, then each setup by the form's rules."""
    if len(data) > MAX_FILE_BYTES:
        return ImportReport(
            errors=(f"The file is over {MAX_FILE_BYTES // 1024} KB: not a setups file.",)
        )
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return ImportReport(errors=(f"The file is not JSON ({str(exc)[:120]}).",))
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        return ImportReport(errors=("The file is not a Stream Console setups file.",))
    version = body.get("version")
    if (
        not isinstance(version, int)
        or isinstance(version, bool)
        or version > VERSION
        or version < 1
    ):
        return ImportReport(
            errors=(
                f"The file is version {str(version)[:20]}; this console reads version {VERSION}.",
            )
        )
    entries = body.get("setups")
    if not isinstance(entries, list) or not entries:
        return ImportReport(errors=("The file holds no setups.",))
    if len(entries) > MAX_SETUPS:
        return ImportReport(errors=(f"The file holds over {MAX_SETUPS} setups.",))
    setups: list[StreamSetup] = []
    errors: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, 1):
        setup, why = _setup_from(entry)
        named = entry.get("name") if isinstance(entry, dict) else None
        name = clean_name(named) if isinstance(named, str) else ""
        label = f"Setup {index}" + (f" ({name})" if name else "")
        if setup is None:
            errors.append(f"{label}: {why}")
            continue
        if setup.name.casefold() in seen:
            errors.append(f"{label}: the name is used twice in the file")
            continue
        seen.add(setup.name.casefold())
        wrong = problems(setup, target=target)
        if wrong:
            errors.append(f"{label}: " + " ".join(wrong))
            continue
        setups.append(setup)
    if errors:
        return ImportReport(errors=tuple(errors))
    taken_folded = {n.casefold() for n in taken}
    clashes = tuple(s.name for s in setups if s.name.casefold() in taken_folded)
    return ImportReport(tuple(setups), (), clashes)


def _setup_from(entry: Any) -> tuple[StreamSetup | None, str]:
    if not isinstance(entry, dict):
        return None, "not an object"
    unknown = sorted(set(entry) - set(_TYPES))
    if unknown:
        return None, f"unknown field {str(unknown[0])[:40]!r}"
    values: dict[str, Any] = {}
    for name, kind in _TYPES.items():
        if name not in entry:
            continue
        value = entry[name]
        if not isinstance(value, kind) or (kind is str and isinstance(value, bool)):
            return None, f"{name} must be {'true or false' if kind is bool else 'text'}"
        if isinstance(value, str) and len(value) > 2048:
            return None, f"{name} is over 2,048 characters"
        values[name] = value
    setup = StreamSetup(**values) if "name" in values else None
    if setup is None:
        return None, "it has no name"
    return replace(setup, name=clean_name(setup.name)), ""


def load_stored(text: str) -> list[StreamSetup]:
    """The setups kept in the settings file (written by `export_text`): read leniently, since
    the form's rules may have moved since they were saved; an unreadable entry is left out."""
    try:
        body = json.loads(text)
    except ValueError:
        return []
    entries = body.get("setups") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return []
    kept: dict[str, StreamSetup] = {}
    for entry in entries[:MAX_SETUPS]:
        setup, _ = _setup_from(entry)
        if setup is not None and setup.name and setup.name.casefold() not in kept:
            kept[setup.name.casefold()] = setup
    return list(kept.values())


def used_label(setup: StreamSetup | None, changed: Sequence[str]) -> str:
    """How the activity history and Copy as code name the setup a request came from:
    "Sales bot", "Sales bot (changed: Stream URL)", or "" when none was chosen."""
    if setup is None:
        return ""
    return f"{setup.name} (changed: {', '.join(changed)})" if changed else setup.name
