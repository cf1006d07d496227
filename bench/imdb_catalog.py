"""The IMDb catalog at full size, on synthetic dataset files shaped like IMDb's (the real ones
cannot be downloaded here): `cinematch catalog import-imdb` into the embedded store (films/s,
peak RSS of the command, its wall time), then catalog search latency (p50/p99) over the
imported catalog, for prefixes, whole titles, single words and typos (one letter dropped), with
how often a whole title or a typo finds the film it names among the first 20 (the synthetic
titles are drawn from 50 words, so many differ by one word: harder than IMDb's). Goals (#20): the full
dataset (about 700,000 films among 11 million titles, ~90 million principals rows) in
<= 15 minutes with peak RSS <= 1.5 GB; search p99 <= 20 ms.

    python bench/imdb_catalog.py [--films 700000] [--other-titles 10300000] [--principals 90000000]
    python bench/imdb_catalog.py --files DIR --fetch   # `catalog fetch imdb` from a local mirror of them

`--fetch` gzips the files (as IMDb serves them), serves them from a local mirror that answers as
IMDb's host does (ETag, Last-Modified, 304, Range: tests/imdb_mirror.py), and times `cinematch
catalog fetch imdb` (download, the gzip check of each file, the import) and its peak RSS, then a
second fetch, which finds every file unchanged.

The generated files are plain TSV in a temporary folder (gzip would only add CPU time on both
sides); smaller figures make a quick run: --films 70000 --other-titles 1030000 --principals 9000000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("night dark star love city last house dead man woman blood war king queen red black white "
         "summer winter heat matrix river road lost return secret world time dream girl boy fire ice "
         "shadow light storm island moon sun garden empire ghost devil angel song dance silent wild").split()
GENRES = ["Action", "Adventure", "Comedy", "Crime", "Drama", "Horror", "Romance", "Sci-Fi", "Thriller", "Documentary"]
N = "\\N"
OTHER_KINDS = ["tvEpisode", "tvEpisode", "tvEpisode", "short", "tvSeries"]


def title(rnd: random.Random, i: int) -> str:
    words = rnd.sample(WORDS, rnd.randint(1, 4))
    if rnd.random() < 0.3:
        words.insert(0, "The")
    return " ".join(w.capitalize() for w in words) + (f" {i % 97}" if rnd.random() < 0.5 else "")


def generate(folder: Path, films: int, other_titles: int, principals: int, seed: int = 3) -> list[str]:
    """Writes the six files; returns some film titles (the search queries)."""
    rnd = random.Random(seed)
    total = films + other_titles
    film_ids = set(rnd.sample(range(total), films))
    queries: list[str] = []
    people = max(1000, principals // 7)
    with open(folder / "title.basics.tsv", "w") as basics, open(folder / "title.crew.tsv", "w") as crew, \
            open(folder / "title.ratings.tsv", "w") as ratings, open(folder / "title.akas.tsv", "w") as akas:
        basics.write("tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres\n")
        crew.write("tconst\tdirectors\twriters\n")
        ratings.write("tconst\taverageRating\tnumVotes\n")
        akas.write("titleId\tordering\ttitle\tregion\tlanguage\ttypes\tattributes\tisOriginalTitle\n")
        for i in range(total):
            t = f"tt{i:08d}"
            name = title(rnd, i)
            kind = "movie" if i in film_ids else rnd.choice(OTHER_KINDS)
            if kind == "movie" and rnd.random() < 0.05:
                kind = "tvMovie"
            basics.write(f"{t}\t{kind}\t{name}\t{name}\t{int(rnd.random() < 0.01)}\t{rnd.randint(1920, 2025)}\t{N}\t"
                         f"{rnd.randint(60, 200)}\t{','.join(rnd.sample(GENRES, rnd.randint(1, 3)))}\n")
            writers = ",".join(f"nm{rnd.randrange(people):08d}" for _ in range(rnd.randint(1, 3)))  # IMDb lists several
            crew.write(f"{t}\tnm{rnd.randrange(people):08d}\t{writers if rnd.random() < 0.8 else N}\n")
            if rnd.random() < 0.3:
                ratings.write(f"{t}\t{rnd.randint(10, 99) / 10}\t{rnd.randint(5, 2_000_000)}\n")
            if i in film_ids:
                if len(queries) < 2000 and rnd.random() < 0.01:
                    queries.append(name)
                for k in range(rnd.randint(0, 3)):
                    akas.write(f"{t}\t{k + 1}\t{title(rnd, i)}\tXX\t{N}\t{N}\t{N}\t0\n")
    per_title = principals / total
    with open(folder / "title.principals.tsv", "w") as out:
        out.write("tconst\tordering\tnconst\tcategory\tjob\tcharacters\n")
        written = 0
        for i in range(total):
            n = int(per_title) + (1 if rnd.random() < per_title % 1 else 0)
            t = f"tt{i:08d}"
            out.write("".join(f"{t}\t{k + 1}\tnm{rnd.randrange(people):08d}\t"
                              f"{'actor' if k % 3 else 'actress' if k % 2 else 'director'}\t{N}\t{N}\n"
                              for k in range(n)))
            written += n
    with open(folder / "name.basics.tsv", "w") as out:
        out.write("nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles\n")
        for p in range(people):
            out.write(f"nm{p:08d}\tPerson {p}\t{N}\t{N}\tactor\t{N}\n")
    return queries


def film_titles(folder: Path, n: int = 2000) -> list[str]:
    """Some film titles of a folder generated before (the search queries)."""
    out = []
    with open(folder / "title.basics.tsv") as f:
        next(f)
        for k, line in enumerate(f):
            parts = line.split("\t")
            if parts[1] == "movie" and parts[4] == "0" and k % 97 == 0:  # (adult titles are not imported)
                out.append(parts[2])
                if len(out) == n:
                    break
    return out


def typo(rnd: random.Random, text: str) -> str:
    i = rnd.randrange(1, max(2, len(text) - 1))
    return text[:i] + text[i + 1:]


async def search_latency(data: Path, queries: list[str]) -> dict[str, tuple[float, float]]:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository: tests.support
    from probes import pct_ms

    from tests.support import wired
    c = wired("sqlite", data_dir=data)
    catalog = c.storage.catalog()
    rnd = random.Random(5)
    kinds = {"whole title": queries, "prefix (4 letters)": [q[:4] for q in queries],
             "one word": [rnd.choice(q.split()) for q in queries], "a typo": [typo(rnd, q) for q in queries]}
    out = {}
    for kind, qs in kinds.items():
        lat, found = [], 0
        for q, meant in zip(qs[:500], queries):
            t0 = time.perf_counter()
            answer = await catalog.search(q, 20)
            lat.append(time.perf_counter() - t0)
            found += any(m.title == meant for m in answer)
        out[kind] = (pct_ms(lat, 0.5), pct_ms(lat, 0.99), found / len(lat))
    c.storage.db().close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=700_000)
    parser.add_argument("--other-titles", type=int, default=10_300_000)
    parser.add_argument("--principals", type=int, default=90_000_000)
    parser.add_argument("--files", help="a folder generated before (its files are read, not written), or one to "
                                        "generate them into and keep")
    parser.add_argument("--data", help="the data directory to import into and keep; when it already holds "
                                       "the catalog, only the searches run")
    parser.add_argument("--fetch", action="store_true", help="`catalog fetch imdb` from a local mirror of the files")
    args = parser.parse_args()
    if args.fetch:
        return fetch(Path(args.files) if args.files else None, args)
    with tempfile.TemporaryDirectory() as tmp:
        folder, data = Path(args.files or Path(tmp) / "imdb"), Path(args.data or Path(tmp) / "data")
        if (data / "cinematch.db").exists():
            for kind, row in asyncio.run(search_latency(data, film_titles(folder))).items():
                print_search(kind, *row)
            return
        t0 = time.perf_counter()
        reused = folder.is_dir() and any(folder.iterdir())
        if reused:
            queries = film_titles(folder)
        else:  # into --files when given (kept for the next run), else into a temporary folder
            folder.mkdir(parents=True, exist_ok=True)
            queries = generate(folder, args.films, args.other_titles, args.principals)
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"files: {size / 1e9:.1f} GB ({'reused' if reused else 'generated'} in "
              f"{time.perf_counter() - t0:.0f} s)")
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "cinematch", "catalog", "import-imdb", str(folder)],
                             env={**os.environ, "CINEMATCH_DATA_DIR": str(data)}, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if run.returncode:
            raise SystemExit(run.stderr)
        films = json.loads(run.stdout.splitlines()[-1])["upserted"]
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"import-imdb: {films:,} films in {seconds:.0f} s ({films / seconds:,.0f} films/s), "
              f"peak RSS {peak:,.0f} MB, database {(data / 'cinematch.db').stat().st_size / 1e9:.2f} GB")
        for kind, row in asyncio.run(search_latency(data, queries)).items():
            print_search(kind, *row)


def fetch(folder: Path | None, args: argparse.Namespace) -> None:
    """`cinematch catalog fetch imdb` from a local mirror of the files: a first fetch (everything
    downloaded, checked and imported) and a second (every file unchanged: 304s)."""
    import gzip
    import shutil

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: the tests' mirror
    from tests.imdb_mirror import Mirror, serve

    with tempfile.TemporaryDirectory() as tmp:
        folder = folder or Path(tmp) / "imdb"
        if not (folder.is_dir() and any(folder.glob("*.tsv"))):
            folder.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            generate(folder, args.films, args.other_titles, args.principals)
            print(f"generated in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        files = {}
        for path in sorted(folder.glob("*.tsv")):
            packed = Path(tmp) / f"{path.name}.gz"
            with path.open("rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            files[packed.name] = packed.read_bytes()
            packed.unlink()
        print(f"gzipped {len(files)} files, {sum(map(len, files.values())) / 1e9:.2f} GB, in "
              f"{time.perf_counter() - t0:.0f} s")
        Mirror.files, Mirror.versions, Mirror.cut_after, Mirror.seen = files, {n: "v1" for n in files}, {}, []
        with serve() as url:
            env = {**os.environ, "CINEMATCH_DATA_DIR": str(Path(tmp) / "data"), "CINEMATCH_IMDB_DATASETS_URL": url}
            for label in ("first fetch", "second fetch"):
                t0 = time.perf_counter()
                run = subprocess.run([sys.executable, "-m", "cinematch", "catalog", "fetch", "imdb"], env=env,
                                     capture_output=True, text=True)
                if run.returncode:
                    raise SystemExit(run.stderr)
                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                print(f"{label}: {time.perf_counter() - t0:.0f} s, peak RSS {peak:,.0f} MB, "
                      f"{run.stdout.splitlines()[-1]}")


def print_search(kind: str, p50: float, p99: float, found: float) -> None:
    meant = f", the film meant among the first 20: {found:.0%}" if kind in ("whole title", "a typo") else ""
    print(f"search, {kind}: p50 {p50:.1f} ms, p99 {p99:.1f} ms{meant}")


if __name__ == "__main__":
    main()
