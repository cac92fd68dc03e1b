"""`stream-console check-service URL`: check a stream service as Plivo would meet it.

For the bot team's own scripts: prints each stage in plain words (or `--json`) and exits 0 only
when the service passed (1 when it failed, 2 for a bad command line). docs/service-check.md.
Imports only argparse at import time (the GUI's start-up must not pay for the check).
"""

from __future__ import annotations

import argparse

HELP = "check a stream service (WebSocket URL) as Plivo's media server would meet it"
CONTENT_TYPES = ("audio/x-l16;rate=8000", "audio/x-l16;rate=16000", "audio/x-mulaw;rate=8000")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds") from None
    if not 0.5 <= value <= 10:
        raise argparse.ArgumentTypeError("expected 0.5 to 10 seconds")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="the stream URL, e.g. wss://bot.example.com/audio")
    parser.add_argument(
        "--content-type",
        choices=CONTENT_TYPES,
        default=CONTENT_TYPES[0],
        help="the audio format the stream asks for (default %(default)s)",
    )
    parser.add_argument(
        "--track", choices=("inbound", "outbound", "both"), default="inbound",
        help="which track(s) to send (default inbound)",
    )  # fmt: skip
    parser.add_argument(
        "--bidirectional", action="store_true",
        help="also check what the service sends back (playAudio, checkpoint, clearAudio)",
    )  # fmt: skip
    parser.add_argument(
        "--extra-headers", default="", metavar="K=V,...",
        help="extra headers for the start event, as the stream form takes them",
    )  # fmt: skip
    parser.add_argument(
        "--seconds", type=_seconds, default=3.0, help="seconds of speech to send (default 3)"
    )
    parser.add_argument(
        "--ca-file", metavar="PEM", help="also trust this CA (a service with an internal CA)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import sys

    from console.domain.service_check import CheckRequest
    from console.domain.stream_params import AudioTrack, ContentType
    from console.servicecheck import check_service

    if args.bidirectional and args.track != "inbound":
        print(
            "check-service: a bidirectional stream carries the inbound track only "
            "(Plivo refuses --track outbound or both with --bidirectional)",
            file=sys.stderr,
        )
        return 2
    if args.ca_file:
        import os

        if not os.path.isfile(args.ca_file):
            print(f"check-service: no such file: {args.ca_file}", file=sys.stderr)
            return 2
    request = CheckRequest(
        service_url=args.url,
        content_type=ContentType(args.content_type),
        audio_track=AudioTrack(args.track),
        bidirectional=args.bidirectional,
        extra_headers=args.extra_headers,
        seconds=args.seconds,
    )
    try:
        report = asyncio.run(check_service(request, cafile=args.ca_file))
    except KeyboardInterrupt:
        return 1
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        print(report.as_text())
    return 0 if report.passed else 1
