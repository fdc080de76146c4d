"""The hub's transport: ready frames (``frames``) written below the ASGI send path, and
Townhall's own WebSocket protocol for uvicorn that offers them (``protocol``); decisions
0003 and 0008."""
