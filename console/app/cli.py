"""The `stream-console` command line. With no subcommand it opens the console window."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection, Sequence

from console import __version__

# Subcommand name -> module exposing HELP (str), add_arguments(parser) and run(args) -> int.
# They are loaded only when the command line could name one (the GUI's start-up skips them).
SUBCOMMANDS: dict[str, str] = {
    "simulate": "console.app.commands.simulate",
    "receive": "console.app.commands.receive",
    "export": "console.app.commands.export",
    "self-test": "console.app.commands.self_test",
    "check-service": "console.app.commands.check_service",
    "team": "console.app.commands.team",
}


def build_parser(subcommands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the given subcommands (None: all of them)."""
    parser = argparse.ArgumentParser(
        prog="stream-console",
        description=(
            "Desktop operator console for Plivo's Audio Stream API: pick a live call, start and "
            "stop audio streams, watch status callbacks arrive."
        ),
        epilog="Run without a subcommand to open the console window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the console against the embedded Plivo simulator: no account needed",
    )
    parser.add_argument("--benchmark-paint", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", title="subcommands", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        if subcommands is not None and name not in subcommands:
            continue
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def _subcommands_to_load(argv: Sequence[str]) -> tuple[str, ...]:
    """The one subcommand the command line names (it starts without importing the others);
    all of them for --help or a typo to report; none for the GUI."""
    words = [arg for arg in argv if not arg.startswith("-")]
    if words and words[0] in SUBCOMMANDS:
        return (words[0],)
    if any(arg not in ("--demo", "--benchmark-paint") for arg in argv):
        return tuple(SUBCOMMANDS)
    return ()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_subcommands_to_load(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        from console.app.gui import run_gui  # lazy: the GUI's imports cost start-up time

        return run_gui(demo=args.demo, benchmark=args.benchmark_paint)
    result: int = args._module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
