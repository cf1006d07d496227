"""Adapters: the ports implemented for each backend."""
