"""Datasets: MovieLens loaders and fetchers, the demo catalog and its credits file."""
