"""A faithful local Plivo for tests, demo mode and training."""
