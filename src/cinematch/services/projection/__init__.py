"""The statistics core's engine: one event's path from the wire to the documents it moves.

`wire.py` decodes a batch's records (validated once, the people parsed once per distinct
string); `columns.py` reads them column by column; `fold.py` folds them into one delta per
document (vectorised, or the domain's `apply_event` event by event: `reference_fold`);
`batch.py` holds that delta and builds the guarded writes; `projector.py` applies a batch with
the high-water-mark guard, replaying a user whose documents moved on; `runner.py` keeps it
going over an event source; `caches.py` is what it remembers between batches, bounded;
`reconcile.py` compares the projections with a recompute; `retention.py` ages trend facts out.
The same engine runs in process, in the Kafka worker and on the Spark executors.
"""

from .batch import AffinityList, BatchDelta, paused_gc
from .caches import LIMIT, FoldCache, KeyIndex
from .columns import Columns, Decoded, Decoding
from .fold import Fold, fold_batch, in_seq_order, reference_fold
from .projector import Projector, Report, decode_records, order_user_events
from .reconcile import Reconciler, Shadow, UserCheck, Window
from .reconcile import Report as ReconcileReport
from .retention import TrendRetention
from .runner import ProjectionRunner
from .wire import Wire, WireEvent, as_domain, decode_wire, profile_hits

__all__ = [
    "LIMIT", "AffinityList", "BatchDelta", "Columns", "Decoded", "Decoding", "Fold", "FoldCache", "KeyIndex",
    "ProjectionRunner", "Projector", "ReconcileReport", "Reconciler", "Report", "Shadow", "TrendRetention",
    "UserCheck", "Window", "Wire", "WireEvent", "as_domain", "decode_records", "decode_wire", "fold_batch",
    "in_seq_order", "order_user_events", "paused_gc", "profile_hits", "reference_fold",
]
