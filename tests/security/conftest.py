from .support import app_client  # noqa: F401 - the suite's fixture
