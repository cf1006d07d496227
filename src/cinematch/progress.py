"""Progress of a long command (fetch, demo, imports, training, evaluation), as tqdm bars on
stderr when stderr is a terminal, and nothing otherwise (a script or a log sees only the
command's result). The work reports `progress(step, done, total)`; `Progress(False)` is the
silent one the library code uses when no command gave it one."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm


class Progress:
    def __init__(self, enabled: bool | None = None, file: TextIO | None = None) -> None:
        self.file = file or sys.stderr
        self.enabled = self.file.isatty() if enabled is None else enabled
        self._bars: dict[str, Any] = {}

    def __call__(self, step: str, done: int, total: int | None = None) -> None:
        """`done` of `total` (None: unknown) for `step`; a step's first call opens its bar."""
        if not self.enabled:
            return
        bar = self._bars.get(step)
        if bar is None:
            bar = self._bars[step] = tqdm(total=total, desc=step, file=self.file, dynamic_ncols=True,
                                          unit_scale=True, leave=True)
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def done(self, step: str, done: int | None = None) -> None:
        bar = self._bars.pop(step, None)
        if bar is not None:
            if done is not None:
                bar.update(done - bar.n)
            bar.close()

    def close(self) -> None:
        for step in list(self._bars):
            self.done(step)
