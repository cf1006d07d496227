"""Application services: they use the ports and never import an adapter or the DI library."""
