"""The composition root: the command line (cli), boot and shutdown (gui, shell) and the object
that wires the UI's intents to the services (composition), over four rooms: commands/,
controllers/, services/, runtime/ (docs/architecture.md)."""
