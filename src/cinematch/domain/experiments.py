"""A/B experiments on recommendations (docs/contract.md §5, seed 004 §7).

Who takes part and in which variant is a pure function of the experiment's name and the
user's id (md5, as seed 004 hashes): stable, stateless, the same answer in every process.
The figures of a variant are proportions with a 95% Wilson interval; the best variant wins
only when a two-proportion z-test against every other variant is significant.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Annotated, Any

import msgspec

from .messages import N_

MIN_VARIANTS, MAX_VARIANTS = 2, 5
ALPHA = 0.05
# Names become folders of the models directory: letters, digits, '_', '.', '-', never dots alone.
NAME = re.compile(r"^(?!\.+$)[A-Za-z0-9_.-]{1,64}$")
STRATEGIES = ("hybrid", "popularity")
# What a variant may set: the factorisation's and the segments' sizes, the hybrid's weights
# (ml.hybrid.Weights) and the strategy. Each with its bounds.
INT_PARAMS = {"k_svd": (2, 200), "k_cluster": (1, 20)}
WEIGHT_PARAMS = ("cf", "rating", "content", "popularity", "segment", "cold_content", "cold_popularity",
                 "mmr_lambda")


class Variant(msgspec.Struct, omit_defaults=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    params: dict[str, Any] = {}
    model: str = ""  # the trained model this variant serves (its folder under models/experiments)


class Experiment(msgspec.Struct, omit_defaults=True):
    id: str  # the name: an item of the experiments store
    name: str
    variants: list[Variant]
    traffic: float
    status: str = "running"  # running, stopped
    started_at: str = ""
    stopped_at: str = ""
    promoted: str = ""  # the variant whose model was made the served one when it stopped


class BadExperiment(ValueError):
    """An experiment that cannot be run; the message says why."""


def _bucket(text: str) -> int:
    return int(hashlib.md5(text.encode()).hexdigest(), 16)


def takes_part(name: str, user_id: str, traffic: float) -> bool:
    return _bucket(f"{name}_traffic_{user_id}") % 10000 < traffic * 10000


def variant_index(name: str, user_id: str, n_variants: int) -> int:
    return _bucket(f"{name}_{user_id}") % n_variants


def assigned(experiment: Experiment, user_id: str) -> Variant | None:
    """The variant a user sees, or None when they are outside the experiment's traffic."""
    if experiment.status != "running" or not takes_part(experiment.name, user_id, experiment.traffic):
        return None
    return experiment.variants[variant_index(experiment.name, user_id, len(experiment.variants))]


def check(name: str, variants: list[Variant], traffic: float) -> None:
    if not NAME.match(name):
        raise BadExperiment(N_("an experiment's name is 1-64 letters, digits, '_', '.' or '-' (not dots alone)"))
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        raise BadExperiment(N_("an experiment has 2 to 5 variants"))
    if len({v.name for v in variants}) != len(variants):
        raise BadExperiment(N_("two variants have the same name"))
    if not all(NAME.match(v.name) for v in variants):
        raise BadExperiment(N_("a variant's name is 1-64 letters, digits, '_', '.' or '-'"))
    if not 0.0 <= traffic <= 1.0:
        raise BadExperiment(N_("traffic is a share between 0.0 and 1.0"))
    for v in variants:
        _check_params(v.params)


def _check_params(params: dict[str, Any]) -> None:
    for key, value in params.items():
        if key in INT_PARAMS:
            lo, hi = INT_PARAMS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise BadExperiment(N_("{param} is a whole number from {lo} to {hi}").format(param=key, lo=lo, hi=hi))
        elif key in WEIGHT_PARAMS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise BadExperiment(N_("{param} is a number from 0 to 1").format(param=key))
        elif key == "strategy":
            if value not in STRATEGIES:
                raise BadExperiment(N_("strategy is hybrid or popularity"))
        else:
            raise BadExperiment(N_("unknown parameter {param}: a variant sets k_svd, k_cluster, strategy or a "
                                   "weight ({weights})").format(param=key, weights=", ".join(WEIGHT_PARAMS)))


# --- the figures ------------------------------------------------------------------------
def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (sound at small n and at 0 or n)."""
    if n == 0:
        return (0.0, 0.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when it cannot tell)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = abs(x1 / n1 - x2 / n2) / se
    return math.erfc(z / math.sqrt(2))


def verdict(rows: list[tuple[str, int, int]]) -> tuple[float, str | None]:
    """(p-value, winner) over variants' (name, conversions, trials): the best rate against each
    other variant, Bonferroni-corrected; a winner only when that p-value is below 0.05."""
    rated = [r for r in rows if r[2] > 0]
    if len(rated) < 2:
        return 1.0, None
    best = max(rated, key=lambda r: (r[1] / r[2], r[2]))
    others = [r for r in rated if r is not best]
    p = min(1.0, max(two_proportion_p(best[1], best[2], x, n) for _, x, n in others) * len(others))
    return p, best[0] if p < ALPHA and best[1] / best[2] > max(x / n for _, x, n in others) else None
