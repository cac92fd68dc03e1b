"""The `stream-console` command line. With no subcommand it opens the console window."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from console import __version__

# Subcommand name -> module exposing HELP (str), add_arguments(parser) and run(args) -> int.
# Those modules import only argparse at import time, so `--help` and GUI start stay fast.
SUBCOMMANDS: dict[str, str] = {
    "simulate": "console.simulator.cli",
}


def build_parser() -> argparse.ArgumentParser:
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
    sub = parser.add_subparsers(dest="command", title="subcommands", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from console.app.gui import run_gui  # lazy: the GUI's imports cost start-up time

        return run_gui(demo=args.demo)
    result: int = args._module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
