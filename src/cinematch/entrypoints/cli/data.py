"""The catalog and the data sets: catalog imports, MovieLens, the demo, the model trained and evaluated."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ...progress import Progress
from ...settings import load_settings
from .common import json_problem, one_off

if TYPE_CHECKING:  # the container module loads only when a command needs it
    from ...container import Application


def cmd_catalog_import(args: argparse.Namespace) -> int:
    import msgspec

    from ...domain.catalog import CatalogRecord, catalog_id_for, catalog_movie
    with open(args.file, "rb") as fh:
        raw = fh.read()
    try:
        rows = msgspec.json.decode(raw, type=list[CatalogRecord])
    except msgspec.MsgspecError as exc:
        raise ValueError(json_problem(args.file, raw, exc)) from None
    movies = [catalog_movie(id=catalog_id_for(r.title, r.year), **msgspec.structs.asdict(r)) for r in rows]
    progress = Progress()

    async def write(container: Application) -> int:
        n = 0
        for start in range(0, len(movies), 2000):
            n += await container.storage.catalog().upsert(movies[start:start + 2000])
            progress("films written", n, len(movies))
        return n
    n = one_off(write)
    progress.close()
    print(json.dumps({"upserted": n}))
    return 0


def cmd_catalog_import_imdb(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ...data.imdb import import_catalog
    if not Path(args.dir).is_dir():
        raise ValueError(f"{args.dir} is not a folder")
    upserted = one_off(lambda c: import_catalog(args.dir, c.storage.catalog().upsert, progress=Progress()))
    print(json.dumps({"upserted": upserted}))
    return 0


def cmd_catalog_fetch(args: argparse.Namespace) -> int:
    """`catalog fetch imdb`: the files brought up to date, then imported when any changed (or when
    the catalog was never imported from them)."""
    from pathlib import Path

    from ...data.imdb import import_catalog
    from ...data.imdb_fetch import fetch_datasets
    settings = load_settings()
    folder = Path(args.dir or Path(settings.data_dir) / "imdb")
    progress = Progress()
    report = fetch_datasets(folder, settings.imdb_datasets_url, progress=progress)
    imported_mark = folder / "imported"
    upserted = None
    if not args.no_import and (report.changed or not imported_mark.exists()):
        upserted = one_off(lambda c: import_catalog(folder, c.storage.catalog().upsert, progress=progress))
        imported_mark.write_text(json.dumps({"upserted": upserted}))
    progress.close()
    print(json.dumps({"downloaded": report.downloaded, "unchanged": report.unchanged, "resumed": report.resumed,
                      "bytes": report.bytes, "upserted": upserted}))
    return 0


def _fetch_ml100k() -> Path | None:
    """MovieLens-100k's folder, or None after saying on stderr why it could not be fetched."""
    from ...data.movielens import DatasetUnavailable, fetch_ml100k
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
    from ...services.demo import load_demo
    path = _fetch_ml100k()
    if path is None:
        return 1
    progress = Progress()
    report = one_off(lambda c: load_demo(
        path, catalog=c.storage.catalog(), accounts=c.services.accounts(), diary=c.services.diary(),
        today=c.clock().now().date(), users=args.users, entries=args.entries, progress=progress))
    progress.close()
    print(json.dumps(report))
    return 0


def cmd_ml_evaluate(args: argparse.Namespace) -> int:
    from ...ml.cli import evaluate
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
    from ...services.limits import NotTrained
    progress = Progress()
    try:
        result = one_off(lambda c: c.services.recommendations().train(limited=False, progress=progress))
    except NotTrained as exc:
        progress.close()
        print(f"cinematch: {exc}", file=sys.stderr)
        return 1
    progress.close()
    print(json.dumps(result, default=float))
    return 0
