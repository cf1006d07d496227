"""`cinematch spark reconcile`, driver side: every user recomputed on the executors, compared
with the live projections (and repaired with `--repair`)."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import TYPE_CHECKING

import msgspec

from ...services.projection.reconcile import Report, UserCheck, Window
from ...settings import Settings
from . import executors
from .session import build_session, on_driver, over_users

if TYPE_CHECKING:  # the container loads on the driver only when the job runs
    from ...container import Application

log = logging.getLogger(__name__)


class ReconcileJob:
    """`cinematch spark reconcile`: every user's projections recomputed from the diary on the
    executors, written to the shadow collections and compared with the live ones."""

    def __init__(self, settings: Settings, *, master: str | None = None, conf: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.master = master
        self.conf = conf or {}

    def run(self, repair: bool = False) -> Report:
        started = time.monotonic()

        async def prepare(c: Application) -> tuple[list[str], str]:
            reconciler = c.services.reconciler()
            await reconciler.clear_shadow()
            return await c.storage.diary().user_ids(), reconciler.since_day()

        users, since = on_driver(self.settings, prepare)
        spark = build_session(self.settings, "CineMatch-Reconcile", self.master, self.conf)
        try:
            report, window = Report(), Window()
            if users:
                conf = msgspec.to_builtins(self.settings)
                for result in over_users(spark, users, partial(executors.reconcile_users, conf, repair, since)):
                    if "window" in result:
                        window.merge(msgspec.convert(result["window"], Window))
                    else:
                        report.add(msgspec.convert(result, UserCheck))
            report.trends_equal = window.equal
        finally:
            spark.stop()
        report.seconds = round(time.monotonic() - started, 3)
        return report
