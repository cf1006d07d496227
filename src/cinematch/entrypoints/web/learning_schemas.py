"""The bodies and answers of feedback, experiments and the model monitor (docs/contract.md §5)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from ...domain.feedback import MovieId


class FeedbackIn(msgspec.Struct, forbid_unknown_fields=True):
    movie_id: MovieId
    action: Literal["click", "not_interested", "seen"]


class VariantIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    params: Annotated[dict[str, Any], msgspec.Meta(max_length=20)] = {}


class ExperimentIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    variants: Annotated[list[VariantIn], msgspec.Meta(max_length=5)]
    traffic: float


class StopIn(msgspec.Struct, forbid_unknown_fields=True):
    promote: Annotated[str, msgspec.Meta(max_length=64)] = ""  # a variant whose model becomes the served one


class VariantOut(msgspec.Struct):
    name: str
    params: dict[str, Any]
    model_version: str | None
    users: int
    impressions: int
    clicks: int
    conversions: int
    ctr: float
    conversion_rate: float
    ci95: list[float]  # the conversion rate's 95% (Wilson) interval


class ExperimentOut(msgspec.Struct):
    name: str
    status: str  # running, stopped
    started_at: str
    stopped_at: str | None
    traffic: float
    promoted: str | None
    variants: list[VariantOut]
    p_value: float  # the best conversion rate against every other variant (two-proportion z, Bonferroni)
    winner: str | None  # only when p_value < 0.05


class Experiments(msgspec.Struct):
    items: list[ExperimentOut]


class Alert(msgspec.Struct):
    level: str  # critical, warning
    rule: str  # rmse_high, rmse_drift, api_latency_high, error_rate_high, rmse_degraded, ctr_drop, …
    value: float


class MonitorOut(msgspec.Struct):
    model_version: str | None
    trained_at: str | None
    rmse_training: float | None
    rmse_live: float | None  # on ratings logged since training, for films the model knows
    live_ratings: int
    ctr_7d: float | None
    ctr_previous_7d: float | None
    conversion_30d: float | None
    impressions_7d: int
    clicks_7d: int
    cold_start_coverage: float | None
    diversity: float | None
    latency_p99_ms: float | None  # this process's recommendation lists, last 5 minutes
    error_rate: float | None
    alerts: list[Alert]
    next_retrain: str | None
    retrain_every_seconds: float | None
    last_retrain: dict[str, Any] | None


class RolledBack(msgspec.Struct):
    model_version: str
