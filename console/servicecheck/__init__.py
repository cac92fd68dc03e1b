"""Checking a stream service from this computer as Plivo would meet it (docs/service-check.md)."""

from console.servicecheck.probe import check_service

__all__ = ["check_service"]
