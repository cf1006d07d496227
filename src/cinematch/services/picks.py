"""A person's recommendations as they are shown (docs/contract.md §5): the films they waved away
left out, the list of the experiment variant they are in, and what was shown recorded."""

from __future__ import annotations

from typing import Any

from .experiments import Experiments
from .feedback import Feedback
from .recommendations import Recommendations


class Picks:
    def __init__(self, *, recommendations: Recommendations, feedback: Feedback, experiments: Experiments) -> None:
        self.recommendations, self.feedback, self.experiments = recommendations, feedback, experiments

    async def for_user(self, user_id: str, top_n: int = 10, genres: tuple[str, ...] = ()) -> dict[str, Any]:
        hidden = frozenset(await self.feedback.hidden(user_id))
        found = await self.experiments.arm_for(user_id)
        arm = found[2] if found else None
        answer = await self.recommendations.for_user(user_id, top_n, genres, hidden=hidden, arm=arm)
        experiment = variant = ""
        if found is not None:
            experiment, variant = found[0].name, found[1].name
            answer = {**answer, "experiment": experiment, "variant": variant}
        await self.feedback.shown(user_id, [i["movie_id"] for i in answer["items"]], experiment, variant)
        return answer

    async def act(self, user_id: str, movie_id: str, action: str) -> None:
        """A click, "not interested" or "seen", counted for the experiment the user is in."""
        found = await self.experiments.arm_for(user_id)
        await self.feedback.act(user_id, movie_id, action, *((found[0].name, found[1].name) if found else ()))
