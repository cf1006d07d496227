import os

from hypothesis import settings

settings.register_profile("ci", max_examples=500, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("deep", max_examples=4000, deadline=None)  # HYPOTHESIS_PROFILE=deep: a longer search
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

