"""Controllers: they turn the widgets' intents into calls on services and the API, and put the
results back on the widgets through the widgets' own methods."""
