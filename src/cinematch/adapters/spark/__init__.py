"""The Spark runtime: Structured Streaming projections and the reconcile batch job.

`jobs.py` runs on the driver (sessions, queries, checkpoints); `executors.py` is what the
executors run: the same core and the same projector as every other runtime, writing to
MongoDB. Importing this package does not import pyspark; the jobs do, when built.
"""
