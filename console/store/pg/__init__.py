"""Team mode: the event log and activity history in one shared PostgreSQL database
(docs/team-mode.md)."""
