"""`stream-console simulate`: run the Plivo simulator standalone, for a training class or a script.

Imports only argparse (and typing, for annotations) at import time: the GUI's start-up must not
pay for aiohttp. Ctrl+C (SIGINT) and SIGTERM stop it cleanly with exit status 0.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.simulator.config import SimulatorConfig

HELP = "run the local Plivo simulator (live calls, audio streams, signed callbacks, media)"


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("expected a share between 0 and 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError("expected seconds >= 0")
    return value


def _host(text: str) -> str:
    """An IP address or a name this computer resolves, checked before the simulator starts."""
    from console.listening import listen_host_problem

    problem = listen_host_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text.strip()


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 0")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("expected a port from 0 to 65535 (0 = any free port)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", type=_host, default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=_port, default=8899, help="port (default 8899; 0 = free)")
    parser.add_argument("--auth-id", help="account auth id, MA... (default: the demo account)")
    token = parser.add_mutually_exclusive_group()
    token.add_argument("--auth-token", help="account auth token (with --auth-id; seen by `ps`)")
    token.add_argument(
        "--auth-token-env",
        metavar="VAR",
        help="read the auth token from environment variable VAR (kept out of `ps`)",
    )
    parser.add_argument("--calls", type=_count, default=12, help="live calls at start (12)")
    parser.add_argument("--queued", type=_count, default=2, help="queued calls at start (2)")
    parser.add_argument("--seed", type=int, help="seed for a repeatable population")
    parser.add_argument("--no-churn", action="store_true", help="calls never start or hang up")
    parser.add_argument("--no-media", action="store_true", help="no WebSocket connections")
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="no 429 after 300 requests per 5 s"
    )
    faults = parser.add_argument_group("fault injection (also settable at /_sim/faults)")
    faults.add_argument("--latency", type=_seconds, default=0.0, help="seconds added to answers")
    faults.add_argument("--error-rate", type=_share, default=0.0, help="share of 5xx answers")
    faults.add_argument("--error-status", type=int, default=500, help="status of injected 5xx")
    faults.add_argument("--force-429", action="store_true", help="answer every request 429")
    faults.add_argument(
        "--retry-after", default="1", help="Retry-After for --force-429: seconds, HTTP-date, none"
    )
    faults.add_argument("--drop-rate", type=_share, default=0.0, help="share of dropped requests")
    faults.add_argument("--stall", type=_seconds, default=0.0, help="seconds between head and body")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log requests, calls, streams and callbacks"
    )


def _retry_after(text: str) -> int | str | None:
    if text.lower() == "none":
        return None
    return int(text) if text.isdigit() and len(text) <= 10 else text


def _token(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The auth token from --auth-token or the variable --auth-token-env names, or a problem."""
    import os

    if args.auth_token_env is None:
        return args.auth_token, None
    name = args.auth_token_env
    value = os.environ.get(name)
    if value is None:
        return None, f"--auth-token-env: the environment variable {name} is not set"
    if not value.strip():
        return None, f"--auth-token-env: the environment variable {name} is empty"
    return value, None


def run(args: argparse.Namespace) -> int:
    import asyncio
    import io
    import logging
    import sys

    from console.domain.accounts import auth_id_problem
    from console.simulator.config import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, SimulatorConfig

    token, problem = _token(args)
    if problem:
        print(f"simulate: {problem}", file=sys.stderr)
        return 2
    if (args.auth_id is None) != (token is None):
        print(
            "simulate: give both --auth-id and --auth-token (or --auth-token-env), or neither",
            file=sys.stderr,
        )
        return 2
    auth_id = args.auth_id or DEMO_AUTH_ID
    problem = auth_id_problem(auth_id)
    if problem:
        print(f"simulate: --auth-id: {problem}", file=sys.stderr)
        return 2
    if token is not None and not token.strip():
        print("simulate: --auth-token must not be empty", file=sys.stderr)
        return 2
    # A hostile request can put any character into what is logged: escape, never crash a log.
    if isinstance(sys.stderr, io.TextIOWrapper):
        sys.stderr.reconfigure(errors="backslashreplace")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = SimulatorConfig(
        auth_id=auth_id,
        auth_token=token or DEMO_AUTH_TOKEN,
        calls=args.calls,
        queued_calls=args.queued,
        seed=args.seed,
        churn=not args.no_churn,
        media=not args.no_media,
        rate_limit=not args.no_rate_limit,
        access_log=args.verbose,
    )
    faults = {
        "latency_s": args.latency,
        "error_rate": args.error_rate,
        "error_status": args.error_status,
        "force_429": args.force_429,
        "retry_after": _retry_after(args.retry_after),
        "drop_connection": args.drop_rate,
        "stall_s": args.stall,
    }
    try:
        return asyncio.run(_serve(config, faults, args.host, args.port, demo=args.auth_id is None))
    except KeyboardInterrupt:  # platforms without loop signal handlers
        return 0


async def _serve(
    config: SimulatorConfig, faults: dict[str, object], host: str, port: int, *, demo: bool
) -> int:
    import asyncio
    import contextlib
    import signal
    import sys

    from console.simulator.server import Simulator

    sim = Simulator(config)
    try:
        sim.faults.update(faults)
    except ValueError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    try:
        base_url = await sim.start(host, port)
    except OSError as exc:
        print(f"simulate: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        await sim.stop()
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    account = f"/v1/Account/{config.auth_id}"
    lines = ["Plivo simulator" + (" (demo account)" if demo else "")]
    lines.append(f"  auth id:    {config.auth_id}")
    if demo:  # the demo token is not a secret; a real-looking one is never printed
        lines.append(f"  auth token: {config.auth_token}")
    lines.append(f"  REST base:  {base_url}{account}/")
    lines.append(f"  media sink: {sim.media_sink_url}")
    lines.append(f"  admin:      {base_url}/_sim/  (same credentials)")
    if demo:
        lines.append(
            f"  try:        curl -u {config.auth_id}:{config.auth_token} "
            f"'{base_url}{account}/Call/?status=live'"
        )
    lines.append(f"listening on {base_url}")
    print("\n".join(lines), flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()
    print("simulator stopped", flush=True)
    return 0
