"""The build of CineMatch's wheel: everything is in pyproject.toml but one step. The pages' scripts
(htmx and its SSE extension, the API docs' UI) come from the npm registry, pinned by
web/package-lock.json, and are not in git; a wheel built without them would serve pages that do
nothing. So the build fetches them first (scripts/assets), or stops with the reason."""

import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
VENDOR = ROOT / "src/cinematch/entrypoints/web/static/vendor"


class BuildWithAssets(build_py):
    def run(self):
        if not (VENDOR / "htmx.min.js").exists():
            if not (ROOT / "scripts/assets").exists():
                raise SystemExit("cinematch: the pages' scripts are missing, and no scripts/assets to fetch them")
            subprocess.run(["bash", str(ROOT / "scripts/assets")], check=True)
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
