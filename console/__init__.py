"""Stream Console: a desktop operator console for Plivo's Audio Stream API."""

__version__ = "0.1.0"
