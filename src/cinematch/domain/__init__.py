"""The pure core of CineMatch: events, deltas, statistics, trends and ports.

Imports only the standard library and msgspec (enforced by tests/unit/test_architecture.py).
"""

from .catalog import CatalogMovie, catalog_movie, match_movie
from .deltas import AffinityDelta, StatsDelta, TrendFact, UserDelta, apply_event, fold_events
from .profiles import movie_profile
from .diary import DiaryEntry, enrich, to_movie
from .events import EVENT_TYPES, Event, InvalidEvent, Movie, decode_event, encode_event, validate_event
from .stats import AffinityState, StatsState, apply_stats_delta, compute_user_state, compute_user_stats, stats_view
from .text import clean_key, normalize_title, split_people

__all__ = [
    "EVENT_TYPES", "AffinityDelta", "AffinityState", "CatalogMovie", "DiaryEntry", "Event",
    "InvalidEvent", "Movie", "StatsDelta", "StatsState", "TrendFact", "UserDelta", "apply_event",
    "apply_stats_delta", "catalog_movie", "clean_key", "compute_user_state", "compute_user_stats",
    "decode_event", "encode_event", "enrich", "fold_events", "match_movie", "movie_profile",
    "normalize_title", "split_people", "stats_view", "to_movie", "validate_event",
]
