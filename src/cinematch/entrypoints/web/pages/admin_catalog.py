"""The admin's catalog page: how large the catalog is, where it comes from, when it was last
refreshed, and a fetch of IMDb's datasets started and followed (services/catalog_refresh.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from ....services.catalog_refresh import CatalogRefresh
from .forms import require_admin


class AdminCatalogPages(Controller):
    path = "/"

    @get("/admin/catalog", include_in_schema=False)
    async def catalog_page(self, request: Request[Any, Any, Any], catalog_refresh: CatalogRefresh) -> Template:
        require_admin(request)
        return Template("admin_catalog.html", context={"me": request.user, "page": "admin-catalog",
                                                       "c": await catalog_refresh.status()})

    @get("/admin/catalog/status", include_in_schema=False)
    async def catalog_status(self, request: Request[Any, Any, Any], catalog_refresh: CatalogRefresh) -> Template:
        require_admin(request)
        return Template("_catalog_status.html", context={"c": await catalog_refresh.status()})

    @post("/admin/catalog/fetch", include_in_schema=False, status_code=303)
    async def catalog_fetch(self, request: Request[Any, Any, Any], catalog_refresh: CatalogRefresh) -> Response[Any]:
        require_admin(request)
        catalog_refresh.start()  # one at a time: a second press follows the running one
        return Redirect("/admin/catalog", status_code=303)
