"""Services the controllers and commands use: the notices, the activity history in use, the
account binding and token source, the demo backend, the callback receiver and team database
(each with its settings dialog), exports, the self-test engine (docs/architecture.md)."""
