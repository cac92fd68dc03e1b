"""The local SQLite store: event log and activity history. Never secrets."""
