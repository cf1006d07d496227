"""The Spark runtime: Structured Streaming projections and the reconcile batch job.

`executors.py` is what the executors run: the same core and the same projector as every
other runtime, writing to MongoDB. The driver (sessions, queries, checkpoints) is an
entrypoint: `cinematch.entrypoints.spark`. Importing this package does not import pyspark.
"""
