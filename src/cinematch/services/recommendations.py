"""Recommendations as the API serves them (docs/contract.md §5): the trained model, the user's
current diary, a cache, training and the K-optimization stream with their rate limits.

The served model is whatever `ModelStore.current()` names; a retrain writes a new version
and swaps the pointer, and every request notices the change (one stat of a small file).
A user's list is cached per (diary version, model version): rating a film bumps the
diary version, so the next request recomputes (the cache is invalidated by construction).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import threading
import time
from dataclasses import dataclass
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..domain.messages import N_
from ..data.movielens import dataset_dir, is_present
from ..domain.catalog import title_keys
from ..domain.diary import DiaryEntry
from ..domain.ports import Clock, DiaryStore, ItemStore, LimitStore
from ..domain.text import normalize_title
from ..ml.artifacts import ModelStore
from ..ml.content import item_features
from ..domain.experiments import WEIGHT_PARAMS
from ..ml.hybrid import Model, Rated, Weights
from ..ml.koptim import optimize
from ..ml.training import TrainingSet, add_diaries, add_movielens, item_key, train
from .limits import NotTrained, RateLimit

CACHE_USERS = 10_000
MODELS_HELD = 8  # the served model and experiments' variants a process keeps loaded
MAX_TOP_N = 100
POPULAR_TTL = 60.0  # seconds the no-model popularity list is reused


KEYS_CACHED = 200_000  # titles whose keys a service remembers


@dataclass(frozen=True)
class Arm:
    """An experiment's variant as served: its label (experiment/variant), its own model store
    and its strategy (hybrid, or the platform's popularity list)."""

    label: str
    store: ModelStore
    strategy: str = "hybrid"


class Recommendations:
    def __init__(self, *, diary: DiaryStore, data_dir: str, limits: LimitStore, use_movielens: bool = True,
                 watchlist: ItemStore | None = None, clock: Clock | None = None) -> None:
        self.diary = diary
        self.clock = clock
        self.watchlist = watchlist
        self.store = ModelStore(Path(data_dir) / "models")
        self.data_dir = data_dir
        self.use_movielens = use_movielens
        # shared by every app process on the store (limits: the container's LimitStore)
        self.train_limit = RateLimit("training", 1, 60, limits)
        self.koptim_limit = RateLimit("K-optimization", 3, 3600, limits)
        self._served: dict[Path, tuple[str, Model, dict[str, Any], list[str]]] = {}
        self._cache: collections.OrderedDict[str, tuple[tuple[Any, ...], dict[str, Any]]] = collections.OrderedDict()
        self._training = threading.Lock()
        self._platform: tuple[float, list[Any]] | None = None
        self._keys_index: dict[int, tuple[list[str], tuple[Any, ...]]] = {}
        # Diaries repeat the same titles across requests: normalise each once (bounded).
        self._title_keys = functools.lru_cache(maxsize=KEYS_CACHED)(lambda title: tuple(title_keys(title)))
        self._key = functools.lru_cache(maxsize=KEYS_CACHED)(item_key)

    # --- the served model ---------------------------------------------------------
    async def _model(self, store: ModelStore | None = None) -> tuple[str, Model, dict[str, Any], list[str]] | None:
        """The model a store serves (the main one unless an experiment's variant is named);
        reading CURRENT is a tiny local file, so only a changed version (a load of the arrays)
        goes to a worker thread."""
        store = store or self.store
        version = store.current()
        if version is None:
            return None
        served = self._served.get(store.root)
        if served is None or served[0] != version:
            model, meta = await asyncio.to_thread(store.load, version)
            keys = meta.pop("item_keys")
            served = (version, model, meta, keys)
            self._served[store.root] = served  # one assignment: the swap is atomic
            while len(self._served) > MODELS_HELD:
                self._served.pop(next(iter(self._served)))
        return served

    async def served(self) -> tuple[str, Model, dict[str, Any], list[str], dict[str, int]] | None:
        """The served model with its item of each key (for the monitor), or None before any."""
        served = await self._model()
        if served is None:
            return None
        return (*served, self._index(served[3], served[1].titles)[0])

    async def rollback(self) -> str | None:
        """One step back: the version before the served one is served again."""
        return await asyncio.to_thread(self.store.rollback)

    def _index(self, keys: list[str], titles: list[str]) -> tuple[dict[str, int], dict[str, list[int]]]:
        """The served model's item of each key, and the items of each title key (any year):
        "Seven (Se7en)" is found as "se7en" too."""
        held = self._keys_index.get(id(keys))
        if held is None or held[0] is not keys:
            by_title: dict[str, list[int]] = {}
            for i, (k, title) in enumerate(zip(keys, titles)):
                for t in {k.rsplit("|", 1)[0], *self._title_keys(title)}:
                    by_title.setdefault(t, []).append(i)
            held = (keys, ({k: i for i, k in enumerate(keys)}, by_title))
            self._keys_index[id(keys)] = held
            while len(self._keys_index) > MODELS_HELD:
                self._keys_index.pop(next(iter(self._keys_index)))
        return held[1]

    async def for_user(self, user_id: str, top_n: int = 10, genres: tuple[str, ...] = (), *,
                       hidden: frozenset[str] = frozenset(), arm: Arm | None = None) -> dict[str, Any]:
        """The user's list: never a film of their diary nor one they waved away (`hidden`:
        movie ids); from an experiment's variant when `arm` names one."""
        if not 1 <= top_n <= MAX_TOP_N:
            raise ValueError(f"top_n must be between 1 and {MAX_TOP_N}")
        store = arm.store if arm is not None else None
        served = None if arm is not None and arm.strategy == "popularity" else await self._model(store)
        label = (arm.label if arm else "", served[0] if served else None)
        hit = self._cache.get(user_id)
        # The diary's version alone says whether the answer in hand still holds: the whole
        # diary is read only when it does not.
        if hit and hit[0] == (await self.diary.version(user_id), label, top_n, genres, hidden):
            self._cache.move_to_end(user_id)
            return await self._mark_watchlist(user_id, hit[1])
        entries, version = await self.diary.snapshot(user_id)
        key = (version, label, top_n, genres, hidden)
        if served is None:
            answer = await self._popular(entries, top_n, hidden)
        else:
            answer = self._recommend(served, entries, top_n, genres, hidden)
            if arm is not None:
                answer["model_version"] = f"{arm.label}/{served[0]}"
        self._cache[user_id] = (key, answer)
        answer = await self._mark_watchlist(user_id, answer)
        if len(self._cache) > CACHE_USERS:
            self._cache.popitem(last=False)
        return answer

    async def _mark_watchlist(self, user_id: str, answer: dict[str, Any]) -> dict[str, Any]:
        """The items the user put on their watchlist say so (read each time: the list changes
        without the diary's version moving)."""
        items = await self.watchlist.all(user_id) if self.watchlist is not None else []
        if not items:
            return answer
        wanted = {(normalize_title(i.title or i.name), i.year) for i in items}
        marked = []
        for item in answer["items"]:
            if (normalize_title(item["title"]), item["year"]) in wanted:
                item = {**item, "explanation": item["explanation"] + " · " + N_("on your watchlist")}
            marked.append(item)
        return {**answer, "items": marked}

    def _recommend(self, served: tuple[str, Model, dict[str, Any], list[str]], entries: list[DiaryEntry], top_n: int,
                   genres: tuple[str, ...], hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
        version, model, _, keys = served
        index, by_title = self._index(keys, model.titles)
        rated = []
        titles: set[str] = set()
        for e in entries:
            title = e.title or e.name
            i = index.get(self._key(title, e.year), -1)
            # A film the model knows is described by its row; only the others need features.
            if e.rating is not None:  # an unrated watch is only excluded, not taken as a taste
                feats = item_features(e.genres, e.director, e.actors, e.year) if i < 0 else ()
                rated.append(Rated(i, float(e.rating), feats, title))
            # The same film under another year (or none), or under another of its titles, is still
            # in the diary: exclude by every title key too.
            titles.update(self._title_keys(title))
            titles.update(self._title_keys(e.name))
        exclude = np.array([i for t in titles for i in by_title.get(t, ())]
                           + [index[k] for k in hidden if k in index], dtype=np.int64)
        strategy, recs = model.recommend(rated, top_n, exclude=exclude, genre_picks=genres)
        return {"items": [{"movie_id": keys[r.item], "title": model.titles[r.item], "year": model.years[r.item],
                           "genres": model.genres[r.item], "score": round(r.score, 4),
                           "predicted_rating": r.predicted_rating, "explanation": r.explanation} for r in recs],
                "strategy": strategy, "model_version": version}

    async def similar(self, genres: list[str], director: str, actors: str, year: int | None, title: str,
                      n: int = 8) -> list[tuple[str, int | None]]:
        """Films like this one, by the served model's content (genres, director, cast, decade):
        (title, year), the most alike first, never the film itself; [] without a model."""
        served = await self._model()
        if served is None:
            return []
        model = served[1]
        own = set(self._title_keys(title))

        def nearest() -> list[tuple[str, int | None]]:
            profile = model.content.profile(np.zeros(0, dtype=np.int64), np.zeros(0),
                                            [(item_features(genres, director, actors, year), 1.0)])
            if not profile.any():
                return []
            scores = model.content.scores(profile)
            out: list[tuple[str, int | None]] = []
            for i in np.argsort(-scores, kind="stable")[:n * 3]:
                if scores[i] <= 0 or own.intersection(self._title_keys(model.titles[i])):
                    continue
                out.append((model.titles[i], model.years[i]))
                if len(out) == n:
                    break
            return out
        return await asyncio.to_thread(nearest)

    async def _popular(self, entries: list[DiaryEntry], top_n: int,
                       hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
        """No model yet: the films most logged on the platform, best rated first among
        equals (an empty list only on an installation with no diary at all). Training,
        or `serve` at start when there is data, replaces this with the hybrid."""
        now = time.monotonic()
        if self._platform is None or now - self._platform[0] > POPULAR_TTL:
            ts = add_diaries(TrainingSet(), await self._diaries())
            counts: dict[str, list[float]] = {}
            for key, r in zip(ts.items, ts.ratings):
                acc = counts.setdefault(key, [0, 0.0])
                acc[0] += 1
                acc[1] += r
            ranked = sorted(counts, key=lambda k: (-counts[k][0], -counts[k][1] / counts[k][0], k))
            self._platform = (now, [(k, ts.meta[k], counts[k][0], counts[k][1] / counts[k][0]) for k in ranked])
        mine = {item_key(e.title or e.name, e.year) for e in entries} | hidden
        titles = {t for e in entries for t in (*self._title_keys(e.title or e.name), *self._title_keys(e.name))}
        items = []
        for key, meta, n, mean in self._platform[1]:
            if key in mine or key.rsplit("|", 1)[0] in titles or not titles.isdisjoint(self._title_keys(meta.title)):
                continue
            items.append({"movie_id": key, "title": meta.title, "year": meta.year, "genres": list(meta.genres),
                          "score": float(n), "predicted_rating": round(mean, 2),
                          "explanation": (N_("logged by {n} CineMatch viewers") if n > 1
                                          else N_("logged by {n} CineMatch viewer")).format(n=n)})
            if len(items) == top_n:
                break
        return {"items": items, "strategy": "popularity", "model_version": None}

    # --- status, evaluation, clustering ------------------------------------------
    async def status(self) -> dict[str, Any]:
        served = await self._model()
        if served is None:
            return {"is_trained": False, "model_version": None, "trained_at": None, "training_seconds": None,
                    "k_svd": None,
                    "k_cluster": None, "explained_variance": None, "training_source": None, "metrics": None}
        version, _, meta, _ = served
        return {"is_trained": True, "model_version": version, "trained_at": meta["trained_at"],
                "training_seconds": meta.get("seconds"),
                "k_svd": meta["k_svd"], "k_cluster": meta["k_cluster"],
                "explained_variance": meta["explained_variance"], "training_source": meta["training_source"],
                "metrics": {"rmse": meta["metrics"].get("rmse"), "mae": meta["metrics"].get("mae")}}

    def optimal_k(self) -> dict[str, Any]:
        """The K the last K optimization chose (the next training uses it), or {} before any."""
        return self.store.k_choice() or {}

    async def evaluation(self) -> dict[str, Any]:
        meta = await self._meta()
        m = meta["metrics"]
        return {k: m.get(k) for k in ("protocol", "rmse", "mae", "ndcg_at_10", "precision_at_10", "recall_at_10",
                                      "coverage", "diversity", "novelty")}

    async def clustering(self) -> dict[str, Any]:
        clustering: dict[str, Any] = (await self._meta())["clustering"]
        return clustering

    async def _meta(self) -> dict[str, Any]:
        served = await self._model()
        if served is None:
            raise NotTrained("no model trained yet: POST /api/admin/ml/train")
        return served[2]

    # --- training and K-optimization ----------------------------------------------
    async def training_set(self) -> TrainingSet:
        ts = TrainingSet()
        if self.use_movielens and is_present(dataset_dir(self.data_dir)):
            await asyncio.to_thread(add_movielens, ts, dataset_dir(self.data_dir))
        return add_diaries(ts, await self._diaries())

    async def _diaries(self) -> list[tuple[str, list[DiaryEntry]]]:
        """Every platform user's diary entries (training, and the no-model popularity list)."""
        return [(u, (await self.diary.snapshot(u))[0]) for u in await self.diary.user_ids()]

    async def train(self, *, limited: bool = True, progress: Any = None) -> dict[str, Any]:
        if limited:
            await self.train_limit.take()
        ts = await self.training_set()
        if len(ts) == 0:
            raise NotTrained("nothing to train on: fetch MovieLens (cinematch data fetch ml-100k) or log films first")
        return await asyncio.to_thread(self._train_and_swap, ts, progress)

    def _train_and_swap(self, ts: TrainingSet, progress: Any = None, store: ModelStore | None = None,
                        params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Train (with the K the last sweep chose, or an experiment variant's `params`) and serve
        it from `store` (the main one unless a variant's)."""
        choice = {**(self.store.k_choice() or {}), **(params or {})}
        weights = Weights(**{k: float(v) for k, v in (params or {}).items() if k in WEIGHT_PARAMS})
        with self._training:  # one training at a time in this process
            trained = train(ts, k_svd=choice.get("k_svd", 10), k_cluster=choice.get("k_cluster", 4), weights=weights,
                            progress=progress, now=self.clock.now() if self.clock else None)
            version = (store or self.store).save(trained.model, trained.item_keys, trained.meta)
        meta = trained.meta
        return {"model_version": version, "k_svd": meta["k_svd"], "k_cluster": meta["k_cluster"],
                "metrics": json.loads(json.dumps(meta["metrics"], default=float)),  # numpy numbers as plain ones
                "seconds": round(meta["seconds"], 3)}

    def arm(self, experiment: str, variant: str, strategy: str = "hybrid") -> Arm:
        return Arm(f"{experiment}/{variant}", ModelStore(self.store.root / "experiments" / experiment / variant),
                   strategy)

    async def train_arm(self, arm: Arm, params: dict[str, Any]) -> dict[str, Any] | None:
        """An experiment variant's own model, trained on today's data with its parameters (none
        for the popularity strategy)."""
        if arm.strategy == "popularity":
            return None
        ts = await self.training_set()
        if len(ts) == 0:
            raise NotTrained("nothing to train on: fetch MovieLens (cinematch data fetch ml-100k) or log films first")
        return await asyncio.to_thread(self._train_and_swap, ts, None, arm.store, params)

    async def promote(self, arm: Arm) -> str | None:
        """The variant's model becomes the served one (a new version of the main store)."""
        served = await self._model(arm.store)
        if served is None:
            return None
        version, model, meta, keys = served
        meta = {**meta, "promoted_from": f"{arm.label}/{version}"}
        return await asyncio.to_thread(self.store.save, model, keys, meta)

    async def k_optimization(self) -> AsyncIterator[dict[str, Any]]:
        """Start a K sweep (rate-limited, checked before anything streams): returns the
        seed-004 events; the chosen K is used by the next training."""
        await self.koptim_limit.take()
        ts = await self.training_set()
        if len(ts) == 0:
            raise NotTrained("nothing to optimise on: fetch MovieLens (cinematch data fetch ml-100k) "
                             "or log films first")
        return self._k_events(optimize(ts.interactions()))

    async def _k_events(self, events: Iterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        progress = 0
        try:
            while True:
                event = await asyncio.to_thread(next, events, None)  # each step runs off the event loop
                if event is None:
                    return
                progress = event.get("progress", progress)
                if event["type"] == "completed":
                    self.store.save_k_choice(event["final_k_svd"], event["final_k_cluster"])
                yield event
        except Exception as exc:  # noqa: BLE001 - the stream has started: report in-band (seed: "error")
            yield {"type": "error", "message": str(exc)[:500], "progress": progress}
