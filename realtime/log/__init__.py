"""The room log: its contract (``realtime.log.contract``, re-exported here) and backends.

- ``realtime.log.memory``: ``memory://``, one process, durable through an injected
  ``Store`` (``realtime.log.store``).
- ``realtime.log.redis``: ``redis://``, one Stream per room shared by every worker.

``realtime.server.open_log`` builds the backend a URL names.
"""

from __future__ import annotations

# The contract is the package's face: ``from realtime.log import Record`` (its __all__).
from realtime.log.contract import *  # noqa: F403
