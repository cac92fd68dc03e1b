"""The Plivo REST client (httpx): the one place that talks to Plivo's API."""
