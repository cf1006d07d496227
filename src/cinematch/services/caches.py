"""The bound on the fold's process-wide caches (profiles, interned affinity keys, credits).

Each distinct film credit adds entries to all three; without a bound a long-running
projector grows for ever. `trim` clears them together, and only at the start of a batch
(`projection.decode_records`), when no profile id from an earlier batch is still held.
"""

from __future__ import annotations

from ..domain.deltas import clear_profiles, profile_count
from .columnar import clear_keys
from .wire import clear_credits, credits_count

LIMIT = 200_000  # distinct profiles or credit spellings kept; a cleared cache refills as films recur


def trim(limit: int | None = None) -> bool:
    """Clear every cache when one holds more than `limit` entries; True when it did."""
    limit = LIMIT if limit is None else limit
    if profile_count() <= limit and credits_count() <= limit:
        return False
    clear_credits()
    clear_keys()
    clear_profiles()
    return True
