"""The `cinematch` command line (CONTRACT §4)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .settings import load_settings


def _container(**overrides):
    from .container import build_container
    return build_container(load_settings(**overrides))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .adapters.web import create_app
    settings = load_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    app = create_app(_container())
    uvicorn.run(app, host=host, port=port, log_level=args.log_level)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    container = _container()
    if container.config.storage() == "sqlite":
        db = container.storage.db()
        db.open()
        print(json.dumps({"storage": "sqlite", "path": db.path, "applied": db.migrate()}))
    return 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    from .domain.catalog import catalog_id_for, catalog_movie
    with open(args.file, encoding="utf-8") as fh:
        rows = json.load(fh)
    movies = [catalog_movie(id=catalog_id_for(r["title"], r.get("year")),
                            **{k: r.get(k) for k in ("title", "original_title", "year", "genres", "director",
                                                      "actors", "duration", "poster_url", "imdb_id")})
              for r in rows]
    n = asyncio.run(_container().storage.catalog().upsert(movies))
    print(json.dumps({"upserted": n}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cinematch", description="CineMatch: movie diary, statistics, recommendations")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the web app (embedded profile by default)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply the database migrations")
    p.set_defaults(func=cmd_migrate)

    cat = sub.add_parser("catalog", help="catalog administration")
    cat_sub = cat.add_subparsers(dest="catalog_command", required=True)
    p = cat_sub.add_parser("import", help="import a JSON array of catalog movies")
    p.add_argument("file")
    p.set_defaults(func=cmd_catalog_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"cinematch: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
