"""How the served model is watched (docs/contract.md §5, seed 004 "Monitoring e alerting"):
the alert rules over the monitor's figures, and the retraining schedule's setting.

Each rule is (level, name, the figure it reads, the test). A figure that cannot be measured yet
(no rating logged since training, no list shown this week) raises nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

DRIFT = 1.1  # live RMSE above this times the training RMSE: the model no longer fits; retrain
Rule = tuple[str, str, Callable[[Mapping[str, Any]], float | None], Callable[[float, Mapping[str, Any]], bool]]


def _get(name: str) -> Callable[[Mapping[str, Any]], float | None]:
    return lambda f: f.get(name)


RULES: tuple[Rule, ...] = (
    ("critical", "rmse_high", _get("rmse_live"), lambda v, f: v > 1.0),
    ("critical", "rmse_drift", _get("rmse_live"),
     lambda v, f: f.get("rmse_training") is not None and v > DRIFT * f["rmse_training"]),
    ("critical", "api_latency_high", _get("latency_p99_ms"), lambda v, f: v > 500),
    ("critical", "error_rate_high", _get("error_rate"), lambda v, f: v > 0.05),
    ("warning", "rmse_degraded", _get("rmse_live"), lambda v, f: v > 0.9),
    ("warning", "ctr_drop", _get("ctr_7d"),
     lambda v, f: bool(f.get("ctr_previous_7d")) and v < 0.8 * f["ctr_previous_7d"]),
    ("warning", "cold_start_low", _get("cold_start_coverage"), lambda v, f: v < 0.9),
    ("warning", "diversity_low", _get("diversity"), lambda v, f: v < 0.7),
)


def alerts(figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rules the figures break, critical first, each with the value that broke it."""
    out = []
    for level, name, read, broken in RULES:
        value = read(figures)
        if value is not None and not math.isnan(value) and broken(value, figures):
            out.append({"level": level, "rule": name, "value": round(float(value), 6)})
    return out


def drifted(figures: Mapping[str, Any]) -> bool:
    return any(a["rule"] == "rmse_drift" for a in alerts(figures))


_PERIOD = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def period_seconds(text: str) -> float:
    """`CINEMATCH_RETRAIN_EVERY`: "off" (or empty) = 0, else a number and a unit: 90s, 30m, 24h, 7d."""
    if text.strip().lower() in ("", "off", "0"):
        return 0.0
    found = _PERIOD.match(text.lower())
    if not found or float(found[1]) <= 0:
        raise ValueError(f"CINEMATCH_RETRAIN_EVERY must be off or a period like 24h, 30m or 7d, got {text!r}")
    seconds = float(found[1]) * _UNIT[found[2]]
    if seconds < 60:
        raise ValueError(f"CINEMATCH_RETRAIN_EVERY must be at least a minute, got {text!r}")
    return seconds
