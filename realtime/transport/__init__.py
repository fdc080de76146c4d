"""The hub's transport: ready frames (``frames``) written below the ASGI send path by
uvicorn's sans-I/O WebSocket protocol with one extension (``protocol``); decision 0003."""
