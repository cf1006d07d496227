"""The Spark runtime. Driver side (`session.py`, `stream.py`, `reconcile.py`): sessions, queries,
checkpoints. Executor side (`executors.py`): the same core and the same projector as every other
runtime, writing to MongoDB. `submit.py` is the file spark-submit runs on a cluster. Importing
this package does not import pyspark: its functions import pyspark (and the container, on an
executor) where they run, so the other runtimes and the tests never load the JVM's libraries."""

from .reconcile import ReconcileJob
from .session import FEEDBACK_QUERY, STATS_QUERY, TRENDS_QUERY, jar_paths
from .stream import StreamJob

__all__ = ["FEEDBACK_QUERY", "STATS_QUERY", "TRENDS_QUERY", "ReconcileJob", "StreamJob", "jar_paths"]
