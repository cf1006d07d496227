"""The fold's memory: one bounded registry per projector, the only cache the fold keeps.

A long-running projector meets the same films, credits, dates and affinity keys over
and over; remembering them is what makes the vectorised fold fast. All of it lives in
one `FoldCache`, made by the container (`Application.fold_cache`), handed to the
projectors and passed explicitly to every function that reads it. Nothing of it is
module state: two projectors in one process (the tests, the worker's two parts) keep
apart, and a fold without one (`fold_batch(events)`, a test) starts from nothing.

Each distinct film credit adds entries to the profiles, the interned keys and the
credits; without a bound they would grow for ever. `trim` clears everything together,
and only at the start of a batch (`projection.decode_records`), when no profile id
from an earlier batch is still held.
"""

from __future__ import annotations


import numpy as np
from scipy import sparse

from ...domain.profiles import AffKey, Profiles
from ...domain.events import Parsed
from ...domain.stats import affinity_id_suffix

LIMIT = 200_000  # distinct profiles, credit spellings or parsed dates kept; a cleared cache refills as films recur


class KeyIndex:
    """Affinity keys interned to integers, and the keys of every profile flattened
    (profile id p owns `flat[offsets[p]:offsets[p + 1]]`), extended as profiles appear."""

    def __init__(self, profiles: Profiles) -> None:
        self.profiles = profiles
        self.clear()

    def clear(self) -> None:
        self.ids: dict[AffKey, int] = {}
        self.keys: list[AffKey] = []
        self.names: list[str] = []
        self._suffixes: list[str] = []  # what follows the user in the affinity document id of each key
        self._flat: list[int] = []
        self._offsets: list[int] = [0]
        self._arrays = (np.empty(0, np.int64), np.zeros(1, np.int64))
        self._incidence: sparse.csr_matrix | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def intern(self, key: AffKey, name: str) -> int:
        """The id of `key` (a new one the first time, shown as `name`)."""
        kid = self.ids.get(key)
        if kid is None:
            kid = self.ids[key] = len(self.keys)
            self.keys.append(key)
            self.names.append(name)
        return kid

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """(flat key ids, offsets) covering every profile known so far."""
        items = self.profiles.items
        if len(self._offsets) <= len(items):
            known_keys, known_profiles = len(self._flat), len(self._offsets)
            for pid in range(len(self._offsets) - 1, len(items)):
                for key, name in items[pid]:
                    self._flat.append(self.intern(key, name))
                self._offsets.append(len(self._flat))
            # Only the new part is converted: films keep appearing for a long while.
            flat, offsets = self._arrays
            self._arrays = (np.concatenate([flat, np.array(self._flat[known_keys:], np.int64)]),
                            np.concatenate([offsets, np.array(self._offsets[known_profiles:], np.int64)]))
        return self._arrays

    def incidence(self) -> sparse.csr_matrix:
        """The profiles' keys as a sparse 0/1 matrix (rows: profiles, columns: keys); its CSR
        arrays are the flat keys and their offsets."""
        flat, offsets = self.flat()
        shape = (len(offsets) - 1, len(self.keys))
        if self._incidence is None or self._incidence.shape != shape:
            self._incidence = sparse.csr_matrix((np.ones(len(flat), np.int64), flat, offsets), shape=shape)
        return self._incidence

    def suffixes(self) -> list[str]:
        """Each key's affinity document id after the user (`domain.stats.affinity_id_suffix`)."""
        if len(self._suffixes) < len(self.keys):
            self._suffixes.extend(affinity_id_suffix(*key) for key in self.keys[len(self._suffixes):])
        return self._suffixes


class FoldCache:
    """Everything the fold remembers between batches, bounded by `limit` entries each."""

    def __init__(self, limit: int = 0) -> None:
        self.limit = limit or LIMIT  # 0: the bound above (CINEMATCH_FOLD_CACHE_LIMIT's default)
        self.profiles = Profiles()
        self.keys = KeyIndex(self.profiles)
        # Credits key -> (profile id, cleaned genres): `services.projection.wire.profile_hits`.
        self.credits: dict[bytes, tuple[int, tuple[str, ...]]] = {}
        self.parsed = Parsed()  # dates and instants that passed validation
        self.days: dict[tuple[str, str], str] = {}  # (instant, zone) -> local day of a trend fact

    def sizes(self) -> dict[str, int]:
        return {"profiles": len(self.profiles), "keys": len(self.keys), "credits": len(self.credits),
                "parsed": len(self.parsed), "days": len(self.days)}

    def trim(self) -> bool:
        """Keep every part within `limit` entries; True when the profiles started over.

        Only between batches: profile ids handed out before go stale, so the profiles, their
        keys and the credits that name them are cleared together. The parsed dates and the
        trend days refer to nothing else: each is cleared alone (a diary's instants are mostly
        distinct, and must not cost the profiles)."""
        for part in (self.parsed, self.days):
            if len(part) > self.limit:
                part.clear()
        if max(len(self.profiles), len(self.keys), len(self.credits)) <= self.limit:
            return False
        self.credits.clear()
        self.keys.clear()
        self.profiles.clear()
        return True
