"""A small WebSocket client (RFC 6455) over asyncio streams, stage by stage.

aiohttp's client does DNS, TCP, TLS and the upgrade in one call and says little about which one
failed or how long each took; the service check needs exactly that, and needs to stay in charge
of a hostile service (a frame's size is read before its body, every read has a deadline). So the
check opens the socket itself and speaks the protocol here: the upgrade request, masked client
frames, and reading text, ping, pong and close frames (binary frames are read and counted).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
from dataclasses import dataclass

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD_BYTES = 16 * 1024  # the upgrade response's status line and headers
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # a message (all its fragments) beyond this ends the check

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


class UpgradeRefused(Exception):
    """The service answered the upgrade with something other than a good 101."""

    def __init__(self, words: str, status: int | None = None) -> None:
        super().__init__(words)
        self.words = words
        self.status = status


class TooBig(Exception):
    """A message over `MAX_MESSAGE_BYTES` (its size is read from the frame header)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"a message of {size:,} bytes")
        self.size = size


class BadFrame(Exception):
    """Bytes that are not a WebSocket frame a server may send."""


@dataclass(frozen=True, slots=True)
class Message:
    opcode: int  # OP_TEXT, OP_BINARY or OP_CLOSE (pings are answered inside `receive`)
    data: bytes
    close_code: int | None = None
    close_reason: str = ""


def accept_for(key: str) -> str:
    """The `Sec-WebSocket-Accept` a server must answer to `key`."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def upgrade_request(host_header: str, target: str, key: str, user_agent: str) -> bytes:
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"User-Agent: {user_agent}\r\n\r\n"
    ).encode("ascii")


async def upgrade(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    host_header: str,
    target: str,
    user_agent: str,
) -> dict[str, str]:
    """Send the upgrade request, read the answer; the response headers on a good 101, else
    raises UpgradeRefused (or the stream's own errors)."""
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(upgrade_request(host_header, target, key, user_agent))
    await writer.drain()
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise UpgradeRefused("closed the connection without answering the upgrade") from exc
        raise UpgradeRefused("closed the connection in the middle of its answer") from exc
    except asyncio.LimitOverrunError as exc:
        raise UpgradeRefused("answered with headers over 16 KB") from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise UpgradeRefused(f"answered something that is not HTTP: {lines[0][:60]!r}")
    status = int(parts[1])
    reason = parts[2][:60] if len(parts) > 2 else ""
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if status != 101:
        raise UpgradeRefused(
            f"answered the WebSocket upgrade with HTTP {status} {reason}".rstrip()
            + " (not 101 Switching Protocols)",
            status,
        )
    if headers.get("upgrade", "").lower() != "websocket":
        raise UpgradeRefused("answered 101 without `Upgrade: websocket`", status)
    if headers.get("sec-websocket-accept") != accept_for(key):
        raise UpgradeRefused("answered 101 with a wrong Sec-WebSocket-Accept", status)
    return headers


def frame(opcode: int, payload: bytes, *, mask: bytes | None = None) -> bytes:
    """One final client frame, masked as RFC 6455 requires of clients."""
    key = mask if mask is not None else os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + key + _xor(payload, key)


def _xor(data: bytes, key: bytes) -> bytes:
    if not data:
        return b""
    repeated = (key * (len(data) // 4 + 1))[: len(data)]
    value = int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")
    return value.to_bytes(len(data), "big")


class Connection:
    """An upgraded connection: `send_text`, `receive` (answers pings itself), `close`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False

    async def send_text(self, text: str) -> None:
        self.writer.write(frame(OP_TEXT, text.encode("utf-8")))
        await self.writer.drain()

    async def send_close(self, code: int = 1000) -> None:
        if not self.closed:
            self.closed = True
            self.writer.write(frame(OP_CLOSE, struct.pack("!H", code)))
            await self.writer.drain()

    async def receive(self) -> Message:
        """The next whole message; raises IncompleteReadError when the connection ends."""
        parts: list[bytes] = []
        size = 0
        message_op = -1
        while True:
            opcode, fin, payload = await self._frame(size)
            if opcode == OP_PING:
                self.writer.write(frame(OP_PONG, payload[:125]))
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                reason = payload[2:].decode("utf-8", "replace")
                return Message(OP_CLOSE, payload, code, reason)
            if opcode == OP_CONTINUATION:
                if message_op < 0:
                    raise BadFrame("a continuation frame with no message begun")
            elif opcode in (OP_TEXT, OP_BINARY):
                if message_op >= 0:
                    raise BadFrame("a new message inside a fragmented one")
                message_op = opcode
            else:
                raise BadFrame(f"reserved opcode {opcode:#x}")
            parts.append(payload)
            size += len(payload)
            if fin:
                return Message(message_op, b"".join(parts))

    async def _frame(self, so_far: int) -> tuple[int, bool, bytes]:
        first, second = await self.reader.readexactly(2)
        fin, opcode = bool(first & 0x80), first & 0x0F
        if first & 0x70:
            raise BadFrame("reserved bits set (an extension was not negotiated)")
        masked, size = bool(second & 0x80), second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        if opcode >= 0x8 and (size > 125 or not fin):
            raise BadFrame("a control frame over 125 bytes or fragmented")
        if so_far + size > MAX_MESSAGE_BYTES:
            raise TooBig(so_far + size)
        key = await self.reader.readexactly(4) if masked else b""
        payload = await self.reader.readexactly(size)
        return opcode, fin, _xor(payload, key) if masked else payload
