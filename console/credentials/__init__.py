"""Where auth tokens live: the OS keyring only (or memory, for a session)."""
