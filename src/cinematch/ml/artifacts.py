"""Versioned model artefacts on disk, swapped in atomically.

Layout under `root` (`$CINEMATCH_DATA_DIR/models`):
    <version>/arrays.npz, <version>/meta.json   one trained model
    CURRENT                                       the served version's name
    k_choice.json                                 the K the last K-optimization chose

A version directory is written under a temporary name and renamed into place, then
CURRENT is replaced with `os.replace`: a crash at any point leaves the previous model
served, never a half-written one. Every process serving the same directory (several API
replicas) sees the new CURRENT and reloads.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from .content import ContentIndex
from .hybrid import ImplicitFactors, Model, Weights

KEEP_VERSIONS = 3


class ModelStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def current(self) -> str | None:
        try:
            return (self.root / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def save(self, model: Model, item_keys: list[str], meta: dict[str, Any]) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        version = self._next_version()
        tmp = self.root / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        c = model.content.matrix
        arrays = {
            "item_bias": model.item_bias, "item_factors": model.item_factors, "popularity": model.popularity,
            "centroids": model.centroids, "segment_popularity": model.segment_popularity,
            "content_data": c.data, "content_indices": c.indices, "content_indptr": c.indptr,
            "content_shape": np.array(c.shape), "content_idf": model.content.idf,
        }
        if model.ease is not None:
            arrays["ease"] = model.ease
        if model.als is not None:
            arrays["als_items"] = model.als.items
        with open(tmp / "arrays.npz", "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        full_meta = {**meta, "model_version": version, "item_keys": item_keys, "titles": model.titles,
                     "years": model.years, "genres": model.genres, "global_mean": model.global_mean,
                     "reg": model.reg, "reg_bias": model.reg_bias, "segment_labels": model.segment_labels,
                     "vocabulary": list(model.content.vocabulary), "weights": asdict(model.weights),
                     "als": {"alpha": model.als.alpha, "reg": model.als.reg} if model.als is not None else None}
        _write(tmp / "meta.json", json.dumps(full_meta))
        os.replace(tmp, self.root / version)
        _write(self.root / "CURRENT.tmp", version)
        os.replace(self.root / "CURRENT.tmp", self.root / "CURRENT")
        self._prune(version)
        return version

    def load(self, version: str) -> tuple[Model, dict[str, Any]]:
        folder = self.root / version
        meta = json.loads((folder / "meta.json").read_text())
        with np.load(folder / "arrays.npz") as a:
            arrays = {k: a[k] for k in a.files}
        content = ContentIndex(
            {f: j for j, f in enumerate(meta["vocabulary"])}, arrays["content_idf"],
            sparse.csr_matrix((arrays["content_data"], arrays["content_indices"], arrays["content_indptr"]),
                              shape=tuple(arrays["content_shape"])))
        model = Model(
            titles=meta["titles"], years=meta["years"], genres=meta["genres"], global_mean=meta["global_mean"],
            item_bias=arrays["item_bias"], item_factors=arrays["item_factors"], reg=meta["reg"],
            reg_bias=meta["reg_bias"], ease=arrays.get("ease"), popularity=arrays["popularity"],
            centroids=arrays["centroids"], segment_popularity=arrays["segment_popularity"],
            segment_labels=meta["segment_labels"], content=content, weights=Weights(**meta["weights"]),
            als=ImplicitFactors(arrays["als_items"], **meta["als"]) if meta.get("als") else None)
        return model, meta

    def versions(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name[1:].isdigit()) \
            if self.root.is_dir() else []

    def rollback(self) -> str | None:
        """Serve the version before the served one (one step back), or None when none is kept."""
        current = self.current()
        older = [v for v in self.versions() if current is None or v < current]
        if not older:
            return None
        _write(self.root / "CURRENT.tmp", older[-1])
        os.replace(self.root / "CURRENT.tmp", self.root / "CURRENT")
        return older[-1]

    def k_choice(self) -> dict[str, Any] | None:
        try:
            choice: dict[str, Any] = json.loads((self.root / "k_choice.json").read_text())
            return choice
        except (FileNotFoundError, ValueError):
            return None

    def save_k_choice(self, k_svd: int, k_cluster: int) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _write(self.root / "k_choice.tmp", json.dumps({"k_svd": k_svd, "k_cluster": k_cluster}))
        os.replace(self.root / "k_choice.tmp", self.root / "k_choice.json")

    def _next_version(self) -> str:
        """Past every version on disk, served or not: a crash between writing a version
        and swapping CURRENT leaves an orphan whose name must not be reused."""
        numbers = [int(p.name[1:]) for p in self.root.iterdir() if p.is_dir() and p.name[1:].isdigit()]
        return f"v{max(numbers, default=0) + 1:06d}"

    def _prune(self, keep: str) -> None:
        versions = sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name.startswith("v"))
        for old in versions[:-KEEP_VERSIONS]:
            if old != keep:
                shutil.rmtree(self.root / old, ignore_errors=True)
        for stale in self.root.glob(".tmp-*"):  # left by a crash mid-save (not a save running now)
            if time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)




def _write(path: Path, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
