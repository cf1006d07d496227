"""CineMatch: an open movie diary with live statistics and recommendations."""

__version__ = "0.1.0"
