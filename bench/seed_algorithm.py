"""A straight in-memory port of the seeds' per-event algorithm (seed 000,
`process_partition_incremental`): per event a catalog lookup, regex splits,
clean_key and dotted-path `$inc` dictionaries merged one event at a time.

`process_partition_incremental` folds the seed's own breakdowns (director, actor, genre);
`process_partition_all` the same way, name by name, also the breakdowns CineMatch folds since #35
(writer, country, language, decade, release year, weekday, and one document per film): the seed's
algorithm asked for the same documents as the core, for a like-for-like figure."""

from __future__ import annotations

import datetime as dt
import json
import re


def clean_key(name):
    return name.strip().replace(".", "_").replace("$", "_").replace(" ", "_") or "Unknown"


def merge_inc_fields(aggregated, new_fields):
    for k, v in new_fields.items():
        aggregated[k] = aggregated.get(k, 0) + v


def seed_names(catalog_info, movie):
    director = catalog_info.get("director", "")
    actors_str = catalog_info.get("actors", "")
    directors_list = [d.strip() for d in re.split(r"[,|]", director) if d.strip()]
    actors_list = [a.strip() for a in re.split(r"[,|]", actors_str) if a.strip()]
    return (("director", directors_list[:2]), ("actor", actors_list[:5]), ("genre", catalog_info.get("genres", [])))


def all_names(catalog_info, movie):
    writers = [w.strip() for w in re.split(r"[,|]", catalog_info.get("writers", "")) if w.strip()]
    year = catalog_info.get("year")
    weekday = str(dt.date.fromisoformat(movie["date"]).isoweekday())
    return (*seed_names(catalog_info, movie), ("writer", writers[:2]), ("country", catalog_info.get("countries", [])),
            ("language", catalog_info.get("languages", [])), ("decade", [f"{year // 10 * 10}s"] if year else []),
            ("release_year", [str(year)] if year else []), ("weekday", [weekday]), ("film", [catalog_info["id"]]))


def process_partition_all(raw_events, catalog_map):
    return process_partition_incremental(raw_events, catalog_map, all_names)


def process_partition_incremental(raw_events, catalog_map, names_of=seed_names):
    user_stats_inc: dict = {}
    user_affinities_inc: dict = {}
    for raw in raw_events:
        ev = json.loads(raw)
        event_type, user_id, movie = ev["event_type"], ev["user_id"], ev["movie"]
        catalog_info = catalog_map.get(movie["name"]) or {}
        duration = catalog_info.get("duration", 0) or 0
        named = names_of(catalog_info, movie)
        stats = user_stats_inc.setdefault(user_id, {})
        if "UPDATE_RATING" in event_type:
            old, new = movie["old_rating"], movie["new_rating"]
            diff = new - old
            merge_inc_fields(stats, {f"rating_distribution.{old}": -1, f"rating_distribution.{new}": 1,
                                     "sum_ratings": diff})
            for kind, names in named:
                for name in names:
                    aid = f"{user_id}_{kind}_{clean_key(name)}"
                    if aid not in user_affinities_inc:
                        user_affinities_inc[aid] = {"user_id": user_id, "type": kind, "name": name,
                                                    "name_key": clean_key(name), "count": 0, "sum_voti": 0}
                    user_affinities_inc[aid]["sum_voti"] += diff
            continue
        delta = -1 if "DELETE" in event_type else 1
        rating = movie["rating"]
        year, month = movie["date"][:4], movie["date"][5:7]
        merge_inc_fields(stats, {
            "total_watched": delta, "sum_ratings": rating * delta, "watch_time_minutes": duration * delta,
            f"rating_distribution.{rating}": delta, f"monthly_counts.{year}.{month}": delta,
        })
        for kind, names in named:
            for name in names:
                aid = f"{user_id}_{kind}_{clean_key(name)}"
                if aid not in user_affinities_inc:
                    user_affinities_inc[aid] = {"user_id": user_id, "type": kind, "name": name,
                                                "name_key": clean_key(name), "count": 0, "sum_voti": 0}
                user_affinities_inc[aid]["count"] += delta
                user_affinities_inc[aid]["sum_voti"] += rating * delta
    return user_stats_inc, user_affinities_inc
