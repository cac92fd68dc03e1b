"""One module per `stream-console` subcommand (`simulate`, `receive`, `export`, `self-test`),
each exposing `HELP`, `add_arguments(parser)` and `run(args) -> int` for `console.app.cli`. A
command is a composition root of its own: it may build what it needs from the rooms below
(docs/architecture.md)."""
