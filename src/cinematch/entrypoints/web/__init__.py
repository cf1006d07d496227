"""The Litestar web adapter."""

from .app import create_app

__all__ = ["create_app"]
