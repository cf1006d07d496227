"""The JSON API (docs/contract.md §3), a controller per feature. The public ones answer anyone;
the others sit behind the bearer token (the app's protected router says so in the API document)."""

from .auth import AccountController, SignInController
from .catalog import CatalogAdminController, CatalogController
from .diary import DiaryController
from .learning import LearningController
from .films import FilmController
from .imports import ImportsController
from .lists import ListsController
from .ops import OpsController
from .people import PersonController
from .recommendations import RecommendationsController
from .shares import SharesController
from .stats import StatsController, TrendsController
from .watchlist import WatchlistController

PUBLIC_CONTROLLERS = [SignInController, TrendsController, CatalogController, FilmController, PersonController,
                      OpsController]
PROTECTED_CONTROLLERS = [AccountController, DiaryController, ImportsController, WatchlistController, StatsController,
                         CatalogAdminController, RecommendationsController, ListsController, SharesController,
                         LearningController]

__all__ = ["PROTECTED_CONTROLLERS", "PUBLIC_CONTROLLERS"]
