"""The ``redis://`` room log: ``log`` (the backend), ``link`` (connection, retry,
health), ``scripts`` (Lua and the stored format), ``watch`` (pub/sub wake-ups)."""
