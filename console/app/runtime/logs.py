"""The console's log: a rotating file in the platform's app-data folder, scrubbed of secrets.

Every record passes through the redactor (`console.domain.redaction.REDACTOR`), which knows every
token the credential layer has handed out and its HTTP Basic form, so even a careless
`log.info("%s", headers)` cannot write a token to disk. The folder is 0700 and every log file
0600 (console/app/runtime/private_files.py): a log names accounts, calls and service URLs.
"""

from __future__ import annotations

import logging
import logging.handlers
from io import TextIOWrapper
from pathlib import Path

from console.app.runtime.private_files import private_dir, private_file
from console.domain.redaction import REDACTOR

LOG_FILE_NAME = "stream-console.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_configured: list[logging.Handler] = []


class RedactingFilter(logging.Filter):
    """Renders the message, scrubs it, and freezes the result into the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = REDACTOR.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = REDACTOR.redact(record.exc_text)
        record.exc_info = None
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Opens (and, after a rollover, re-creates) its file with mode 0600 on POSIX."""

    def _open(self) -> TextIOWrapper:
        private_file(Path(self.baseFilename))
        return super()._open()


def configure_logging(log_dir: Path, *, level: int = logging.INFO) -> Path:
    """Send the `console` loggers (and warnings from libraries) to `log_dir/stream-console.log`,
    1 MiB per file, five files kept. Safe to call twice: the old handlers are replaced."""
    private_dir(log_dir)
    path = log_dir / LOG_FILE_NAME
    root = logging.getLogger()
    for handler in _configured:
        root.removeHandler(handler)
        handler.close()
    _configured.clear()
    file_handler = PrivateRotatingFileHandler(
        path, maxBytes=1 << 20, backupCount=5, encoding="utf-8", delay=True
    )
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    file_handler.addFilter(RedactingFilter())
    file_handler.setLevel(level)
    root.addHandler(file_handler)
    _configured.append(file_handler)
    root.setLevel(min(root.level or logging.WARNING, level))
    logging.getLogger("console").setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
