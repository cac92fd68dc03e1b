"""Unexpected errors become a non-modal banner and a log entry; the console keeps running.

Three doors lead here: `sys.excepthook` (exceptions in Qt slots, async slots and virtual
overrides all arrive there under PySide6 + qasync), `threading.excepthook`, and the asyncio loop's
exception handler (orphan tasks, callbacks). The banner shows one plain sentence; the traceback
goes to the log only, scrubbed of secrets.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from console.domain.redaction import REDACTOR

_log = logging.getLogger("console.errors")
Report = Callable[[str, str], None]  # (plain sentence, technical detail)


def describe(exc: BaseException) -> tuple[str, str]:
    """A sentence for the banner and a scrubbed one-line detail for its details pane."""
    detail = REDACTOR.redact(f"{type(exc).__name__}: {exc}")
    return (
        "Something went wrong inside the console. It keeps running; the details are in the log "
        "(Help → Open log folder).",
        detail,
    )


class ErrorHooks:
    def __init__(self, report: Report) -> None:
        self._report = report
        self._previous_excepthook = sys.excepthook
        self._previous_threading_hook = threading.excepthook
        self._installed = False

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._threading_hook
        if loop is not None:
            loop.set_exception_handler(self._loop_handler)
        self._installed = True

    def uninstall(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not self._installed:
            return
        sys.excepthook = self._previous_excepthook
        threading.excepthook = self._previous_threading_hook
        if loop is not None and not loop.is_closed():
            loop.set_exception_handler(None)
        self._installed = False

    def handle(self, exc: BaseException, where: str) -> None:
        if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
            return
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        _log.error("unexpected error in %s\n%s", where, tb)
        message, detail = describe(exc)
        try:
            self._report(message, detail)
        except Exception:  # the reporter itself failing must not recurse
            _log.exception("error reporter failed")

    def _excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        self.handle(exc, "the user interface")

    def _threading_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            name = args.thread.name if args.thread else "a thread"
            self.handle(args.exc_value, f"thread {name}")

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self.handle(exc, str(context.get("message", "a background task")))
        else:
            _log.error("event loop: %s", REDACTOR.redact(str(context.get("message"))))
