"""Runtime plumbing under everything in `app/`: named tasks and supervised loops, settings, logs,
private files, error hooks, the garbage-collection guard, resource files. It imports nothing
from the rooms above it (docs/architecture.md)."""
