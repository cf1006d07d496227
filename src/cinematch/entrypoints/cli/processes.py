"""The long-running commands: serve, worker, relay, the Spark jobs; and migrate."""

from __future__ import annotations

import argparse
import asyncio
import json

from ...settings import Settings, load_settings
from .common import _container, _logging, _profile_default, close_resources


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from ...runtime import ServeRuntime
    from ..web import create_app
    from ..web.server import run
    settings = load_settings()
    _logging(settings)
    logging.getLogger().setLevel(args.log_level.upper())
    from ..web.assets import Assets
    if missing := Assets().missing():  # a wheel or `pip install .` made without the npm step
        raise RuntimeError(f"the pages' scripts are missing ({', '.join(missing)}): run scripts/assets, or install a "
                         "wheel built with them")
    runtime = ServeRuntime(_container())
    runtime.preflight()
    run(create_app(runtime), host=args.host or settings.host, port=args.port or settings.port,
        log_level=args.log_level, header_timeout=settings.http_header_timeout_seconds)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    container = _container()
    storage = container.config.storage()
    if storage == "sqlite":
        db = container.storage.db()
        db.open()
        print(json.dumps({"storage": "sqlite", "path": db.path, "applied": db.migrate()}))
    elif storage == "mongo":
        from ...adapters.mongo import migrate

        async def run() -> list[int]:
            try:
                return await migrate(container.storage.mongo())
            finally:
                await close_resources(container)
        print(json.dumps({"storage": "mongo", "database": container.storage.mongo().db_name,
                          "applied": asyncio.run(run())}))
    else:
        print(json.dumps({"storage": storage, "applied": []}))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The stream projector as its own process (runtime.WorkerRuntime)."""
    from ...runtime import WorkerRuntime
    settings = load_settings(profile=_profile_default(args.profile))
    _logging(settings)
    return WorkerRuntime(_container(profile=settings.profile), part=args.part).run_until_signalled()


def cmd_relay(args: argparse.Namespace) -> int:
    """The outbox relay as its own process (serve also runs one unless relay_in_serve is off)."""
    from ...runtime import RelayRuntime
    settings = load_settings(profile=_profile_default(args.profile))
    _logging(settings)
    return RelayRuntime(_container(profile=settings.profile)).run_until_signalled()


def _spark_settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {"profile": "spark"}
    for field, value in (("spark_checkpoint_dir", getattr(args, "checkpoint", None)),
                         ("spark_trigger_seconds", getattr(args, "trigger", None)),
                         ("spark_trends_trigger_seconds", getattr(args, "trends_trigger", None))):
        if value is not None:
            overrides[field] = value
    return load_settings(**overrides)


def _spark_conf(pairs: list[str]) -> dict[str, str]:
    conf = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--conf takes KEY=VALUE, got {pair!r}")
        conf[key] = value
    return conf


def cmd_spark_stream(args: argparse.Namespace) -> int:
    """The Spark Structured Streaming job: topic -> statistics, affinities, trends."""
    import signal
    import threading

    from ..spark import StreamJob
    settings = _spark_settings(args)
    _logging(settings)
    job = StreamJob(settings, master=args.master, once=args.once, conf=_spark_conf(args.conf))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return job.run(stop)


def cmd_spark_reconcile(args: argparse.Namespace) -> int:
    """Recompute every projection from the diary (Spark batch), diff with the live ones."""
    import msgspec

    from ..spark import ReconcileJob
    report = ReconcileJob(_spark_settings(args), master=args.master, conf=_spark_conf(args.conf)).run(args.repair)
    print(json.dumps(msgspec.to_builtins(report)))
    return 0 if args.repair or report.clean else 3
