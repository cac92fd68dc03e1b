"""The composition root: command line, boot and shutdown, and the controller that wires the UI's
intents to the services."""
