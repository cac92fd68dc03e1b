"""`stream-console simulate`: the local Plivo simulator. Its command line lives with the simulator
(console/simulator/cli.py), which runs without the console's app layer; this module gives it its
place among the console's subcommands."""

from console.simulator.cli import HELP, add_arguments, run

__all__ = ["HELP", "add_arguments", "run"]
