"""Services the controllers and commands use: the account binding and token source, the demo
backend, the callback receiver and team database, exports, the self-test engine, the notices
(docs/architecture.md)."""
