"""The Movie Database (TMDB) API v3, for optional catalog enrichment (CINEMATCH_TMDB_API_KEY)."""

from .client import TmdbClient, TmdbFilm, TmdbUnavailable

__all__ = ["TmdbClient", "TmdbFilm", "TmdbUnavailable"]
