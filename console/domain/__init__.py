"""The pure core: Plivo's stream parameters and their rules, calls, streams, callback events and
the V3 signature maths. Standard library only: no Qt, no httpx, no aiohttp, no I/O."""
