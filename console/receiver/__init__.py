"""The local HTTP endpoint for Plivo's stream status callbacks."""
