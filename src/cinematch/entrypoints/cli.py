"""The `cinematch` command line (docs/contract.md §4)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ..progress import Progress
from ..settings import Settings, load_settings


def _container(**overrides):
    from ..container import build_container
    return build_container(load_settings(**overrides))


async def close_resources(container) -> None:
    from ..container import close_resources as close  # the container module loads only when needed
    await close(container)


def _profile_default(args_profile: str | None) -> str:
    import os
    return args_profile or os.environ.get("CINEMATCH_PROFILE") or "kafka"


def _logging(settings) -> None:
    import logging

    from ..adapters.observability import configure_logging
    configure_logging(settings.log_format)
    logging.getLogger("py4j").setLevel(logging.WARNING)


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from .web import create_app
    from .web.server import run
    settings = load_settings()
    _logging(settings)
    logging.getLogger().setLevel(args.log_level.upper())
    host = args.host or settings.host
    port = args.port or settings.port
    container = _container()
    preflight(container)
    run(create_app(container), host=host, port=port, log_level=args.log_level,
        header_timeout=settings.http_header_timeout_seconds)
    return 0


def preflight(container) -> None:
    """Before serving: the embedded store opens, passes SQLite's page check and takes a
    write, or the command stops here with the reason (StoreUnavailable, OSError)."""
    if container.config.storage() == "sqlite":
        container.storage.db().open().check(integrity=True)


def cmd_migrate(args: argparse.Namespace) -> int:
    container = _container()
    storage = container.config.storage()
    if storage == "sqlite":
        db = container.storage.db()
        db.open()
        print(json.dumps({"storage": "sqlite", "path": db.path, "applied": db.migrate()}))
    elif storage == "mongo":
        from ..adapters.mongo import migrate

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


def _run_until_signalled(make_loop, settings, samplers=(), container=None) -> int:
    """Run `make_loop(stop)` until SIGTERM/SIGINT (the loop finishes its batch and commits what
    it did, then returns); a crash of the loop is retried after a pause (broker or database
    down), never a reason to exit. With `metrics_port` set, /metrics is served meanwhile.
    Then `container`'s resources are closed."""
    import logging
    import signal
    _logging(settings)
    log = logging.getLogger("cinematch")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        refresh = None
        if settings.metrics_port:
            from ..adapters.observability import Metrics
            metrics = Metrics()
            for sampler in samplers:
                metrics.add_sampler(sampler)
            metrics.serve(settings.metrics_port)
            refresh = asyncio.create_task(metrics.refresh_forever(stop))
        while not stop.is_set():
            try:
                await make_loop(stop)
            except Exception as exc:  # noqa: BLE001 - a background loop restarts whatever stopped it
                log.warning("%s; restarting in 1 s", exc)
                try:
                    await asyncio.wait_for(stop.wait(), 1)
                except TimeoutError:
                    pass
        if refresh is not None:
            await refresh
        if container is not None:
            await close_resources(container)
        log.info("stopped")
    asyncio.run(main())
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The stream projector as its own process: a Kafka consumer-group member, or (embedded
    profile, with serve's own projection off) the fold over the SQLite diary log."""
    from ..adapters.observability import consumer_sampler, dead_letter_sampler, projection_sampler
    settings = load_settings(profile=_profile_default(args.profile))
    container = _container(profile=settings.profile)
    runner = {"all": container.services.runner, "stats": container.services.stats_runner,
              "trends": container.services.trends_runner}[args.part]()

    async def loop(stop: asyncio.Event) -> None:
        if container.config.storage() == "mongo" and container.config.migrate_on_start():
            from ..adapters.mongo import migrate
            await migrate(container.storage.mongo())
        await runner.run_forever(stop)
    samplers = [projection_sampler(runner), dead_letter_sampler(container.storage.dead_letters())]
    if container.config.bus() == "kafka":
        samplers.append(consumer_sampler(runner.source))
    return _run_until_signalled(loop, settings, samplers, container)


def cmd_relay(args: argparse.Namespace) -> int:
    """The outbox relay as its own process (serve also runs one unless relay_in_serve is off)."""
    settings = load_settings(profile=_profile_default(args.profile))
    container = _container(profile=settings.profile)
    return _run_until_signalled(container.bus.relay().run_forever, settings, container=container)


def _spark_settings(args: argparse.Namespace):
    overrides = {"profile": "spark"}
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

    from .spark import StreamJob
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

    from .spark import ReconcileJob
    report = ReconcileJob(_spark_settings(args), master=args.master, conf=_spark_conf(args.conf)).run(args.repair)
    print(json.dumps(msgspec.to_builtins(report)))
    return 0 if args.repair or report.clean else 3


def cmd_catalog_import(args: argparse.Namespace) -> int:
    import msgspec

    from ..domain.catalog import CatalogRecord, catalog_id_for, catalog_movie
    with open(args.file, "rb") as fh:
        raw = fh.read()
    try:
        rows = msgspec.json.decode(raw, type=list[CatalogRecord])
    except msgspec.MsgspecError as exc:
        raise ValueError(json_problem(args.file, raw, exc)) from None
    movies = [catalog_movie(id=catalog_id_for(r.title, r.year), **msgspec.structs.asdict(r)) for r in rows]
    catalog, progress = _container().storage.catalog(), Progress()

    async def run() -> int:
        n = 0
        for start in range(0, len(movies), 2000):
            n += await catalog.upsert(movies[start:start + 2000])
            progress("films written", n, len(movies))
        return n
    n = asyncio.run(run())
    progress.close()
    print(json.dumps({"upserted": n}))
    return 0


def cmd_catalog_import_imdb(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..data.imdb import import_catalog
    if not Path(args.dir).is_dir():
        raise ValueError(f"{args.dir} is not a folder")
    container = _container()

    async def run() -> int:
        if container.config.storage() == "mongo" and container.config.migrate_on_start():
            from ..adapters.mongo import migrate
            await migrate(container.storage.mongo())
        return await import_catalog(args.dir, container.storage.catalog().upsert, progress=Progress())
    print(json.dumps({"upserted": asyncio.run(run())}))
    return 0


def _embedded_only(what: str) -> Settings:
    settings = load_settings()
    if settings.storage != "sqlite":
        raise ValueError(f"{what} is for the embedded store (CINEMATCH_STORAGE=sqlite); on MongoDB use mongodump "
                         "and mongorestore (docs/operations.md)")
    return settings


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..adapters.sqlite.backup import backup
    settings = _embedded_only("backup")
    print(json.dumps(backup(settings.db_path, Path(args.file))))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..adapters.sqlite.backup import restore
    settings = _embedded_only("restore")
    print(json.dumps(restore(settings.db_path, Path(args.file))))
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The password from standard input (`--password-stdin`: its first line) or a prompt asked twice."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValueError("--password-stdin: standard input held no password")
        return password
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask the password on: pass it with --password-stdin")
    import getpass
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise ValueError("the two passwords differ")
    return password


def _accounts_run(work) -> dict:
    """`work(accounts)` against the configured store (its migrations first, as serve would)."""
    container = _container()

    async def run() -> dict:
        try:
            if container.config.storage() == "mongo" and container.config.migrate_on_start():
                from ..adapters.mongo import migrate
                await migrate(container.storage.mongo())
            return await work(container.services.accounts())
        finally:
            await close_resources(container)
    return asyncio.run(run())


def cmd_user_create(args: argparse.Namespace) -> int:
    password = _read_password(args)

    async def work(accounts) -> dict:
        user = await accounts.register(args.name, password, is_admin=args.admin)
        return {"user_id": user.id, "username": user.username, "is_admin": user.is_admin}
    print(json.dumps(_accounts_run(work)))
    return 0


def cmd_user_reset_password(args: argparse.Namespace) -> int:
    password = _read_password(args)

    async def work(accounts) -> dict:
        user = await accounts.reset_password(args.name, password)
        return {"user_id": user.id, "username": user.username, "signed_out": True}
    print(json.dumps(_accounts_run(work)))
    return 0


def _fetch_ml100k():
    """MovieLens-100k's folder, or None after saying on stderr why it could not be fetched."""
    from ..data.movielens import DatasetUnavailable, fetch_ml100k
    progress = Progress()
    try:
        return fetch_ml100k(load_settings().data_dir, progress=progress)
    except DatasetUnavailable as exc:
        progress.close()
        print(f"cinematch: {exc}", file=sys.stderr)
        return None
    finally:
        progress.close()


def cmd_data_fetch(args: argparse.Namespace) -> int:
    path = _fetch_ml100k()
    if path is None:
        return 1
    print(json.dumps({"dataset": args.dataset, "path": str(path)}))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..services.demo import load_demo
    path = _fetch_ml100k()
    if path is None:
        return 1
    container, progress = _container(), Progress()
    report = asyncio.run(load_demo(
        path, catalog=container.storage.catalog(), accounts=container.services.accounts(),
        diary=container.services.diary(), today=container.clock().now().date(), users=args.users,
        entries=args.entries, progress=progress))
    progress.close()
    print(json.dumps(report))
    return 0


def cmd_ml_evaluate(args: argparse.Namespace) -> int:
    from ..ml.cli import evaluate
    if args.train or args.test:
        if not (args.train and args.test):
            raise ValueError("--train and --test go together")
        path = None
    else:
        path = _fetch_ml100k()
        if path is None:
            return 1
    progress = Progress()
    try:
        return evaluate(args, path, progress)
    finally:
        progress.close()


def cmd_ml_train(args: argparse.Namespace) -> int:
    """Train the served model now (no rate limit: an operator's command) and swap it in;
    running `serve` processes pick the new version up on their next request."""
    from ..services.limits import NotTrained
    recommendations, progress = _container().services.recommendations(), Progress()
    try:
        result = asyncio.run(recommendations.train(limited=False, progress=progress))
    except NotTrained as exc:
        progress.close()
        print(f"cinematch: {exc}", file=sys.stderr)
        return 1
    progress.close()
    print(json.dumps(result, default=float))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cinematch",
                                     description="CineMatch: movie diary, statistics, recommendations")
    parser.add_argument("--debug", action="store_true", help="show a traceback when a command fails")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the web app (embedded profile by default)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="the stream projector: a Kafka consumer-group member (kafka profile), "
                       "or the embedded fold when CINEMATCH_PROJECT_IN_SERVE=0")
    p.add_argument("--profile", default=None, help="default: CINEMATCH_PROFILE, else kafka")
    p.add_argument("--part", choices=["all", "stats", "trends"], default="all",
                   help="all: statistics, affinities and trends in one consumer group; stats or trends: that "
                        "part alone, trends in a group of its own (CINEMATCH_KAFKA_TRENDS_GROUP), so a slow "
                        "trends write never holds back the statistics: run one worker of each")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("relay", help="the outbox relay: MongoDB outbox -> Kafka (kafka profile)")
    p.add_argument("--profile", default=None, help="default: CINEMATCH_PROFILE, else kafka")
    p.set_defaults(func=cmd_relay)

    spark = sub.add_parser("spark", help="the Spark runtime (spark profile): streaming job and reconciliation")
    spark_sub = spark.add_subparsers(dest="spark_command", required=True)
    p = spark_sub.add_parser("stream", help="Structured Streaming: Kafka topic -> statistics, affinities, trends "
                                            "(from the earliest offset on a fresh checkpoint)")
    p.add_argument("--master", default=None, help="Spark master (default: CINEMATCH_SPARK_MASTER, local[2])")
    p.add_argument("--checkpoint", default=None, help="checkpoint directory (default: CINEMATCH_SPARK_CHECKPOINT_DIR)")
    p.add_argument("--trigger", type=float, default=None, help="statistics trigger in seconds (default 1)")
    p.add_argument("--trends-trigger", type=float, default=None, help="trends trigger in seconds (default 30)")
    p.add_argument("--once", action="store_true", help="process what the topic holds now, then exit")
    p.add_argument("--conf", action="append", metavar="KEY=VALUE", help="extra Spark configuration (repeatable)")
    p.set_defaults(func=cmd_spark_stream)
    p = spark_sub.add_parser("reconcile", help="recompute every user's projections from the diary into shadow "
                                               "collections and report the differences (exit 3 when any)")
    p.add_argument("--master", default=None, help="Spark master (default: CINEMATCH_SPARK_MASTER, local[2])")
    p.add_argument("--repair", action="store_true", help="swap the recompute in where the live documents differ")
    p.add_argument("--conf", action="append", metavar="KEY=VALUE", help="extra Spark configuration (repeatable)")
    p.set_defaults(func=cmd_spark_reconcile)

    p = sub.add_parser("migrate", help="apply the database migrations")
    p.set_defaults(func=cmd_migrate)

    user = sub.add_parser("user", help="accounts, for an operator")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    p = user_sub.add_parser("create", help="create an account (the password from a prompt, or --password-stdin)")
    p.add_argument("name")
    p.add_argument("--admin", action="store_true", help="an administrator (the ML dashboard, catalog uploads)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_user_create)
    p = user_sub.add_parser("reset-password", help="set a new password without the old one; every session of "
                                                   "the account ends")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_user_reset_password)

    p = sub.add_parser("backup", help="copy the embedded store to FILE (safe while serving; MongoDB: mongodump)")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="replace the embedded store with a backup FILE (refused while any cinematch "
                                       "process has the store open; the replaced database is kept beside it)")
    p.add_argument("file")
    p.set_defaults(func=cmd_restore)

    cat = sub.add_parser("catalog", help="catalog administration")
    cat_sub = cat.add_subparsers(dest="catalog_command", required=True)
    p = cat_sub.add_parser("import", help="import a JSON array of catalog movies")
    p.add_argument("file")
    p.set_defaults(func=cmd_catalog_import)
    p = cat_sub.add_parser("import-imdb", help="build the catalog from IMDb's dataset files in DIR (title.basics, "
                           "title.crew, title.principals, name.basics; title.akas and title.ratings if there), "
                           "gzipped or not; a re-run updates the same films")
    p.add_argument("dir")
    p.set_defaults(func=cmd_catalog_import_imdb)

    p = sub.add_parser("demo", help="load the demo catalog (MovieLens-100k + credits) and demo users")
    p.add_argument("--users", type=int, default=20, help="demo users to create (default 20)")
    p.add_argument("--entries", type=int, default=40, help="diary entries per demo user (default 40)")
    p.set_defaults(func=cmd_demo)

    data = sub.add_parser("data", help="datasets")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    p = data_sub.add_parser("fetch", help="fetch a dataset into $CINEMATCH_DATA_DIR/datasets/")
    p.add_argument("dataset", choices=["ml-100k"])
    p.set_defaults(func=cmd_data_fetch)

    ml = sub.add_parser("ml", help="recommendation models")
    ml_sub = ml.add_subparsers(dest="ml_command", required=True)
    p = ml_sub.add_parser("evaluate", help="evaluate the models (docs/contract.md §5 protocols)")
    p.add_argument("--dataset", choices=["ml-100k"], default="ml-100k")
    p.add_argument("--protocol", choices=["kfold5", "topn"], default="kfold5")
    p.add_argument("--train", help="ratings CSV to train on (user_id,item_id,rating[,timestamp])")
    p.add_argument("--test", help="ratings CSV to score")
    p.add_argument("--json", action="store_true", help="print JSON lines (the last one is the result)")
    p.set_defaults(func=cmd_ml_evaluate)
    p = ml_sub.add_parser("train", help="train the served recommendation model on MovieLens (if fetched) and "
                                        "the platform's diaries, and swap it in")
    p.set_defaults(func=cmd_ml_train)
    return parser


def one_line(exc: BaseException) -> str:
    """An error as one line a person can act on (no traceback)."""
    from ..domain.ports import StoreUnavailable
    if isinstance(exc, StoreUnavailable):
        return exc.reason
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}" if exc.args else "missing field"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:500]


def _is_bad_input(exc: BaseException) -> bool:
    import msgspec

    from ..domain.ports import Conflict
    return isinstance(exc, (ValueError, KeyError, TypeError, FileNotFoundError, IsADirectoryError, NotADirectoryError,
                            msgspec.MsgspecError, Conflict))


def json_problem(path: str, raw: bytes, exc: Exception) -> str:
    """A JSON file's decoding error, with the line and column msgspec's byte offset points at."""
    import re
    text = str(exc)
    found = re.search(r"\(byte (\d+)\)", text)
    if found:
        offset = int(found.group(1))
        before = raw[:offset]
        line, column = before.count(b"\n") + 1, offset - (before.rfind(b"\n") + 1) + 1
        return f"{path}, line {line}, column {column}: {text[:found.start()].strip()}"
    return f"{path}: {text}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place a failing command becomes one line
        if args.debug:
            raise
        print(f"cinematch: {one_line(exc)}", file=sys.stderr)
        return 2 if _is_bad_input(exc) else 1


if __name__ == "__main__":
    sys.exit(main())
