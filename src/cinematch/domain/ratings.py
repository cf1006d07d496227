"""Ratings: half stars from 0.5 to 5, or none (an unrated watch). docs/contract.md §2.

Folds count in half stars (integers 1..10, 0 for unrated), so every sum stays an exact
integer; a stored `sum_ratings` is that count halved, which a float holds exactly.
"""

from __future__ import annotations

from .messages import N_
Rating = int | float  # whole stars stay ints on the wire, as seed consumers expect

HALVES = tuple(range(1, 11))
RATING_KEYS = ("0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5")  # rating_distribution, by half star


def rating_problem(value: object, field: str = "rating") -> str | None:
    """Why `value` is not a rating (None is not a rating here: callers decide whether
    unrated is allowed), or None when it is one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return N_("{field} must be a number of stars from 0.5 to 5 in steps of 0.5").format(field=field)
    if not (0.5 <= value <= 5 and float(value * 2).is_integer()):
        return N_("{field} must be from 0.5 to 5 in steps of 0.5, got {value}").format(field=field, value=value)
    return None


def halves(rating: Rating | None) -> int:
    """A rating in half stars (4.5 -> 9); unrated -> 0."""
    return 0 if rating is None else int(rating * 2)


def from_halves(h: int) -> Rating | None:
    """The rating of `h` half stars: an int when whole (9 -> 4.5, 8 -> 4, 0 -> None)."""
    if h <= 0:
        return None
    return h // 2 if h % 2 == 0 else h / 2


def stars(total_halves: int) -> Rating:
    """A sum of half stars, in stars (int when whole)."""
    return total_halves // 2 if total_halves % 2 == 0 else total_halves / 2


def normalize(rating: Rating | None) -> Rating | None:
    """4.0 -> 4, 4.5 -> 4.5, None -> None (the value is valid)."""
    return from_halves(halves(rating))


def key(rating: Rating) -> str:
    """The rating_distribution key of a rating (4 -> "4", 4.5 -> "4.5")."""
    return RATING_KEYS[halves(rating) - 1]


def display(rating: Rating | None) -> str:
    """★★★★½ for 4.5; "unrated" for none."""
    if rating is None:
        return "unrated"
    h = halves(rating)
    return "★" * (h // 2) + ("½" if h % 2 else "")


def exact_sum(value: float) -> Rating:
    """A stored sum of ratings as the fold makes it (14.0 -> 14, 9.5 -> 9.5)."""
    return stars(halves(value))
