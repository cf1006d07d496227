"""The `cinematch` command line (docs/contract.md §4).

Each command imports what it uses inside its own function (the container, the web app, the ML
stack, pyspark): `cinematch --help` and a refused command answer at once, and no command pays for
another's libraries (the ML stack alone takes seconds to import)."""

from __future__ import annotations

import argparse
import sys

from .accounts import cmd_backup, cmd_restore, cmd_user_create, cmd_user_reset_password
from .common import _is_bad_input, one_line
from .data import (
    cmd_catalog_fetch, cmd_catalog_import, cmd_catalog_import_imdb, cmd_data_fetch, cmd_demo, cmd_ml_evaluate,
    cmd_ml_train,
)
from .processes import cmd_migrate, cmd_relay, cmd_serve, cmd_spark_reconcile, cmd_spark_stream, cmd_worker


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
    p.add_argument("--part", choices=["all", "stats", "trends", "feedback"], default="all",
                   help="all: statistics, affinities and trends in one consumer group, and (kafka) the feedback "
                        "on recommendations in its own (CINEMATCH_KAFKA_FEEDBACK_GROUP); stats, trends or "
                        "feedback: that part alone, trends in a group of its own (CINEMATCH_KAFKA_TRENDS_GROUP), "
                        "so a slow trends write never holds back the statistics: run one worker of each")
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
    p = cat_sub.add_parser("fetch", help="download the catalog's source files (only what changed since the last "
                           "fetch; a download cut short resumes) and import them")
    p.add_argument("source", choices=["imdb"], help="imdb: IMDb's datasets from CINEMATCH_IMDB_DATASETS_URL")
    p.add_argument("--dir", help="where the files are kept (default: DATA_DIR/imdb)")
    p.add_argument("--no-import", action="store_true", help="download only")
    p.set_defaults(func=cmd_catalog_fetch)

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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place a failing command becomes one line
        if args.debug:
            raise
        print(f"cinematch: {one_line(exc)}", file=sys.stderr)
        return 2 if _is_bad_input(exc) else 1


if __name__ == "__main__":
    sys.exit(main())
