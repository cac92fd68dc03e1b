"""Controllers: they turn the widgets' intents into calls on services and the API, and put the
results back on the widgets through the widgets' own methods; news for the agent goes through
the notices service (docs/architecture.md)."""
