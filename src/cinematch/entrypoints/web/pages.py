"""The pages for people (docs/contract.md §6): server-rendered HTML (Jinja) with htmx for the parts
that change in place. Every page calls the same services as the JSON API; templates only
show what they are given. Forms post here and redirect (they work without JavaScript);
a signed-in session is the API's token in an HttpOnly, SameSite cookie."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.params import Parameter
from litestar.response import Redirect, ServerSentEvent, Template

from ...domain.imports import parse_year
from ...domain.ports import Conflict
from ...domain.ratings import Rating, display, normalize, rating_problem
from ...domain.stats import THRESHOLDS
from ...services.accounts import AccountError, session_mark, session_user
from ...services.diary import DiaryError, EntryPatch, NewEntry
from ...services.limits import NotTrained, RateLimited
from .server import STOPPING

PAGE_SIZE = 20
SESSION_COOKIE = "cinematch_session"
SSE_POLL = 0.2  # seconds between the stats page's looks at the statistics' mark


async def _session_user(request: Request, jwt_auth: Any, users: Any) -> Any:
    """The user of the session cookie on a public page (the auth middleware skips those)."""
    raw = request.cookies.get(SESSION_COOKIE, "").split(" ")[-1]
    if not raw:
        return None
    try:
        token = jwt_auth.token_cls.decode(raw, secret=jwt_auth.token_secret, algorithm=jwt_auth.algorithm)
    except Exception:  # noqa: BLE001 - an expired or foreign cookie: signed out
        return None
    return session_user(await users.by_id(token.sub), token.extras)


def _form_error(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: (v if isinstance(v, str) else "") for k, v in data.items()}


# --- public pages -------------------------------------------------------------------


@get("/", include_in_schema=False)
async def home(request: Request, queries: Any, jwt_auth: Any, users: Any, error: str = "",
               next: str = Parameter(default="", max_length=200)) -> Template:  # noqa: A002 - the page to return to
    me = await _session_user(request, jwt_auth, users)
    return Template("index.html", context={"me": me, "trends": await queries.global_trends(), "error": error[:200],
                                           "page": "home", "next": _local(next)})


def _local(path: str) -> str:
    """`path` when it is a page of this site (never another host), else the diary."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/diary"


@get("/trends", include_in_schema=False)
async def trends_page(request: Request, queries: Any, jwt_auth: Any, users: Any) -> Template:
    me = await _session_user(request, jwt_auth, users)
    return Template("trends.html", context={"me": me, "trends": await queries.global_trends(), "page": "trends"})


def _signed_in(request: Request, jwt_auth: Any, ttl: int, user: Any, to: str = "/diary") -> Response:
    token = jwt_auth.create_token(identifier=user.id, token_expiration=dt.timedelta(seconds=ttl),
                                  token_extras={"pw": session_mark(user)})
    response = Redirect(to, status_code=303)
    response.set_cookie(SESSION_COOKIE, f"Bearer {token}", max_age=ttl, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


@post("/signup", include_in_schema=False, status_code=303)
async def signup(request: Request, accounts: Any, jwt_auth: Any, ttl: int) -> Response:
    form = await _form(request)
    try:
        user = await accounts.register(form.get("username", ""), form.get("password", ""))
    except (AccountError, Conflict) as exc:
        return Redirect(f"/?{_query(error=_form_error(exc))}#signup", status_code=303)
    return _signed_in(request, jwt_auth, ttl, user)


@post("/signin", include_in_schema=False, status_code=303)
async def signin(request: Request, accounts: Any, jwt_auth: Any, ttl: int) -> Response:
    form = await _form(request)
    client = request.client.host if request.client else ""
    try:
        user = await accounts.authenticate(form.get("username", ""), form.get("password", ""), client)
    except RateLimited as exc:
        return Redirect(f"/?{_query(error=str(exc))}#signin", status_code=303)
    if user is None:
        return Redirect(f"/?{_query(error='wrong username or password')}#signin", status_code=303)
    return _signed_in(request, jwt_auth, ttl, user, to=_local(form.get("next", "")))


@post("/signout", include_in_schema=False, status_code=303)
async def signout() -> Response:
    response = Redirect("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _query(**params: str) -> str:
    from urllib.parse import urlencode
    return urlencode(params)


# --- the diary ----------------------------------------------------------------------


@get("/diary", include_in_schema=False)
async def diary_page(request: Request, diary_store: Any, clock: Any,
                     page: int = Parameter(default=1, ge=1, le=1_000_000), error: str = "") -> Template:
    return Template("diary.html", context=await _diary_context(request, diary_store, clock, page, error=error[:300]))


async def _diary_context(request: Request, diary_store: Any, clock: Any, page: int = 1, **extra: Any) -> dict:
    items, total = await diary_store.page(request.user.id, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    today = clock.now().date()
    return {"me": request.user, "items": items, "total": total, "page_no": page,
            "pages": max(1, -(-total // PAGE_SIZE)), "error": "", "form": EMPTY_FORM, "today": today.isoformat(),
            # a watch date may be tomorrow in the configured zone (docs/contract.md §2), no later
            "tomorrow": (today + dt.timedelta(days=1)).isoformat(), "page": "diary", **extra}


# What the log form shows when it is new: no rating chosen (a forgotten choice records no rating).
EMPTY_FORM: dict[str, Any] = {"title": "", "year": "", "catalog_id": "", "rating": None, "date": "", "tags": "",
                              "rewatch": False}


def _kept(form: dict[str, str]) -> dict[str, Any]:
    """A refused form's values, to show it again as the person filled it in."""
    try:
        rating = normalize(float(form.get("rating", ""))) if form.get("rating", "").strip() else None
    except (ValueError, TypeError):
        rating = None
    return {**EMPTY_FORM, **{k: form.get(k, "")[:2000] for k in ("title", "year", "catalog_id", "date", "tags")},
            "rating": rating, "rewatch": bool(form.get("rewatch"))}


@get("/diary/suggest", include_in_schema=False)
async def suggest(catalog: Any, title: str = Parameter(default="", max_length=200)) -> Template:
    movies = await catalog.search(title, 8) if len(title.strip()) >= 2 else []
    return Template("_suggestions.html", context={"movies": movies})


@post("/diary", include_in_schema=False, status_code=303)
async def log_film(request: Request, diary: Any, diary_store: Any, clock: Any) -> Response:
    form = await _form(request)
    try:
        new = NewEntry(name=form.get("title", "").strip(), rating=_rating(form.get("rating", "")),
                       date=form.get("date") or None, year=parse_year(form.get("year", "")),
                       rewatch=bool(form.get("rewatch")), tags=_tags(form.get("tags", "")),
                       catalog_id=form.get("catalog_id", "").strip()[:600] or None)
        if not new.name:
            raise DiaryError("title must not be empty")
        await diary.add(request.user.id, new)
    except (DiaryError, ValueError) as exc:
        # The form again, as it was filled in, with the reason (422: htmx swaps it in, see base.html).
        context = await _diary_context(request, diary_store, clock, error=_form_error(exc)[:300], form=_kept(form))
        return Template("diary.html", context=context, status_code=422)
    return Redirect("/diary", status_code=303)


async def _row(template: str, entry_id: str, request: Request, diary_store: Any) -> Template:
    entry = await diary_store.get(request.user.id, entry_id)
    if entry is None:
        raise HTTPException(status_code=404, detail="no such diary entry")
    return Template(template, context={"e": entry})


@get("/diary/{entry_id:str}/edit", include_in_schema=False)
async def edit_row(entry_id: str, request: Request, diary_store: Any) -> Template:
    return await _row("_edit_row.html", entry_id, request, diary_store)


@get("/diary/{entry_id:str}/row", include_in_schema=False)
async def show_row(entry_id: str, request: Request, diary_store: Any) -> Template:
    return await _row("_row.html", entry_id, request, diary_store)


@post("/diary/{entry_id:str}", include_in_schema=False, status_code=200)
async def save_row(entry_id: str, request: Request, diary: Any) -> Response:
    form = await _form(request)
    try:
        patch = EntryPatch(rating=_rating(form.get("rating", "")), date=form.get("date") or None,
                           name=(form.get("title") or "").strip() or None, rewatch=bool(form.get("rewatch")),
                           tags=_tags(form.get("tags", "")))
        entry = await diary.update(request.user.id, entry_id, patch)
    except (DiaryError, ValueError) as exc:
        return Template("_edit_row.html", context={"e": await diary.diary.get(request.user.id, entry_id),
                                                    "error": _form_error(exc)})
    if entry is None:
        raise HTTPException(status_code=404, detail="no such diary entry")
    if "hx-request" not in request.headers:
        return Redirect("/diary", status_code=303)
    return Template("_row.html", context={"e": entry})


@post("/diary/{entry_id:str}/delete", include_in_schema=False, status_code=200)
async def delete_row(entry_id: str, request: Request, diary: Any, diary_store: Any) -> Response:
    entry = await diary_store.get(request.user.id, entry_id)
    if entry is None or not await diary.delete(request.user.id, entry_id):
        raise HTTPException(status_code=404, detail="no such diary entry")
    if "hx-request" not in request.headers:
        return Redirect("/diary", status_code=303)
    # The row says what went and offers it back; the count above the table follows (out of band).
    _, total = await diary_store.page(request.user.id, 1, 0)
    return Template("_deleted_row.html", context={"e": entry, "total": total,
                                                  "supplied": json.dumps(entry.supplied)})


@post("/diary/restore", include_in_schema=False, status_code=200)
async def restore_row(request: Request, diary: Any, diary_store: Any) -> Response:
    """Undo of a delete: the entry again, as it was (a new entry with the same fields)."""
    form = await _form(request)
    try:
        supplied = json.loads(form.get("supplied") or "{}")
        if not isinstance(supplied, dict):
            raise ValueError("not an entry")
        entry = await diary.add(request.user.id, NewEntry(
            name=form.get("title", "").strip(), rating=_rating(form.get("rating", "")),
            date=form.get("date") or None, year=parse_year(form.get("year", "")),
            catalog_id=form.get("catalog_id", "").strip()[:600] or None, rewatch=bool(form.get("rewatch")),
            tags=_tags(form.get("tags", "")), **_supplied(supplied)))
    except (DiaryError, ValueError, TypeError) as exc:
        raise HTTPException(status_code=400, detail=f"the entry cannot be put back: {_form_error(exc)}") from None
    if "hx-request" not in request.headers:
        return Redirect("/diary", status_code=303)
    _, total = await diary_store.page(request.user.id, 1, 0)
    return Template("_row.html", context={"e": entry, "total": total, "count_changed": True})


def _supplied(supplied: dict) -> dict[str, Any]:
    """The enrichment a deleted entry had been given by its author (genres, people, duration)."""
    out: dict[str, Any] = {}
    if isinstance(supplied.get("genres"), list):
        out["genres"] = [str(g) for g in supplied["genres"]][:50]
    for key in ("director", "actors"):
        if isinstance(supplied.get(key), str):
            out[key] = supplied[key]
    if isinstance(supplied.get("duration"), int) and not isinstance(supplied.get("duration"), bool):
        out["duration"] = supplied["duration"]
    return out


def _rating(raw: str) -> Rating | None:
    """The rating a form chose: half stars, or "" for not rated."""
    if not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if rating_problem(value):
        raise DiaryError("choose a rating from 0.5 to 5 stars, or Not rated")
    return normalize(value)


def _tags(raw: str) -> list[str]:
    return [t for t in (part.strip() for part in raw.split(",")) if t]


# --- statistics ---------------------------------------------------------------------


def scaled(rows: list[tuple[str, int]]) -> list[tuple[str, float, int]]:
    """(label, count) rows as bars: the largest count is the full width."""
    top = max([n for _, n in rows] + [1])
    return [(label, round(100 * n / top, 1), n) for label, n in rows]


def trend_genre_rows(trends: dict) -> list[tuple[str, float, str]]:
    return [(g["genre"], g["percentage"], f"{g['percentage']}%") for g in trends["trending_genres"]]


def _figures_context(stats: dict, year: str | None, min_count: int) -> dict:
    years = sorted(stats["monthly_counts"], reverse=True)
    chosen = year if year in years else (years[0] if years else None)
    months = stats["monthly_counts"].get(chosen, {}) if chosen else {}
    dist = stats["rating_distribution"]
    threshold = str(min_count if min_count in THRESHOLDS else 1)
    return {"s": stats, "years": years, "year": chosen,
            "month_rows": scaled([(f"{m:02d}", months.get(f"{m:02d}", 0)) for m in range(1, 13)]),
            "dist_rows": scaled([(display(float(k)), n) for k, n in dist.items()]),
            "genre_rows": [(g["name"], g["percentage"], f"{g['percentage']}%") for g in stats["genres"]],
            "thresholds": THRESHOLDS, "threshold": int(threshold),
            "best_directors": stats["best_rated_directors"][threshold],
            "best_actors": stats["best_rated_actors"][threshold]}


async def _stats_of(request: Request, queries: Any, review: int | None) -> dict:
    if review is None:
        return await queries.user_stats(request.user.id)
    return await queries.year_stats(request.user.id, review)


@get("/stats", include_in_schema=False)
async def stats_page(request: Request, queries: Any, year: str = Parameter(default="", max_length=4),
                     min_count: int = Parameter(default=1, ge=1, le=1000)) -> Template:
    stats = await queries.user_stats(request.user.id)
    return Template("stats.html", context={"me": request.user, "page": "stats", "review": None,
                                           "review_years": sorted(stats["monthly_counts"], reverse=True),
                                           **_figures_context(stats, year or None, min_count)})


@get("/stats/{review:int}", include_in_schema=False)
async def year_in_review_page(review: int, request: Request, queries: Any,
                              min_count: int = Parameter(default=1, ge=1, le=1000)) -> Template:
    """The year in review: the statistics of the films watched that year."""
    if not 1870 <= review <= 2100:
        raise HTTPException(status_code=404, detail="no such year")
    everything = await queries.user_stats(request.user.id)
    stats = await queries.year_stats(request.user.id, review)
    return Template("stats.html", context={"me": request.user, "page": "stats", "review": review,
                                           "review_years": sorted(everything["monthly_counts"], reverse=True),
                                           **_figures_context(stats, str(review), min_count)})


@get("/stats/figures", include_in_schema=False)
async def stats_figures(request: Request, queries: Any, year: str = Parameter(default="", max_length=4),
                        min_count: int = Parameter(default=1, ge=1, le=1000),
                        review: int | None = Parameter(default=None, ge=1870, le=2100)) -> Template:
    stats = await _stats_of(request, queries, review)
    return Template("_figures.html", context=_figures_context(stats, year or None, min_count))


@get("/stats/events", include_in_schema=False)
async def stats_events(request: Request, queries: Any) -> ServerSentEvent:
    """`stats` whenever the user's statistics move (the projection applied something) or their
    sync state changes; the page then fetches its figures again."""
    user_id = request.user.id

    async def changes():
        last = None
        for _ in range(int(3600 / SSE_POLL)):  # an hour at most; the browser reconnects
            if STOPPING.is_set():
                return
            version, hwm = await queries.progress(user_id)
            if (version, hwm) != last:
                last = (version, hwm)
                yield json.dumps({"type": "stats", "version": version, "hwm": hwm})
            await asyncio.sleep(SSE_POLL)

    return ServerSentEvent(changes(), event_type="stats")


# --- recommendations, import, settings -------------------------------------------


@get("/recommendations", include_in_schema=False)
async def recommendations_page(request: Request, recommendations: Any, catalog: Any, clock: Any,
                               genres: list[str] | None = Parameter(default=None, max_items=20)) -> Template:
    picks = tuple(g.strip()[:64] for g in (genres or []) if g.strip())
    answer = await recommendations.for_user(request.user.id, 12, picks)
    known = [g for g, _ in await catalog.genres()][:30]
    return Template("recommendations.html", context={
        "me": request.user, "page": "recommendations", "r": answer, "genres": known, "picked": set(picks),
        "today": clock.now().date().isoformat()})


async def _import_context(request: Request, imports: Any, **extra: Any) -> dict:
    return {"me": request.user, "page": "import", "report": None, "error": "", "done": "",
            "batches": await imports.import_batches(request.user.id), **extra}


@get("/import", include_in_schema=False)
async def import_page(request: Request, imports: Any, done: str = Parameter(default="", max_length=40)) -> Template:
    return Template("import.html", context=await _import_context(request, imports, done=done))


@post("/import", include_in_schema=False, status_code=200, request_max_body_size=32 * 1024 * 1024)
async def import_upload(request: Request, imports: Any) -> Template:
    """Preview (a dry run: the same report, nothing written) or import. The pages send the form
    with htmx and swap in the report only, so the chosen file stays chosen between the two."""
    form = await request.form()
    upload = form.get("file")
    report, error = None, ""
    if upload is None or isinstance(upload, str):
        error = "choose a file to import"
    else:
        try:
            report = await imports.import_file(request.user.id, await upload.read(),
                                             dry_run=form.get("mode") == "preview")
        except DiaryError as exc:
            error = str(exc)
    return Template("import.html", context=await _import_context(request, imports, report=report, error=error))


@post("/import/{batch_id:str}/undo", include_in_schema=False, status_code=303)
async def undo_import_page(batch_id: str, request: Request, imports: Any) -> Response:
    if not await imports.undo_import(request.user.id, batch_id[:100]):
        raise HTTPException(status_code=404, detail="no such import")
    return Redirect("/import?done=undone", status_code=303)


# --- the watchlist ---------------------------------------------------------------------


@get("/watchlist", include_in_schema=False)
async def watchlist_page(request: Request, watchlist: Any, clock: Any, error: str = "") -> Template:
    return Template("watchlist.html", context={"me": request.user, "page": "watchlist", "error": error[:300],
                                               "items": await watchlist.watchlist_of(request.user.id),
                                               "today": clock.now().date().isoformat()})


@post("/watchlist", include_in_schema=False, status_code=303)
async def watchlist_add(request: Request, watchlist: Any) -> Response:
    form = await _form(request)
    try:
        name = form.get("title", "").strip()
        if not name:
            raise DiaryError("title must not be empty")
        await watchlist.watch(request.user.id, name, parse_year(form.get("year", "")))
    except (DiaryError, ValueError) as exc:
        return Redirect(f"/watchlist?{_query(error=_form_error(exc))}", status_code=303)
    return Redirect("/watchlist", status_code=303)


@post("/watchlist/{item_id:str}/remove", include_in_schema=False, status_code=303)
async def watchlist_remove(item_id: str, request: Request, watchlist: Any) -> Response:
    await watchlist.unwatch(request.user.id, item_id[:100])
    return Redirect("/watchlist", status_code=303)


@get("/settings", include_in_schema=False)
async def settings_page(request: Request, done: str = Parameter(default="", max_length=40),
                        error: str = "") -> Template:
    return Template("settings.html", context={"me": request.user, "page": "settings", "done": done,
                                              "error": error[:300]})


@post("/settings/password", include_in_schema=False, status_code=303)
async def change_password(request: Request, accounts: Any, jwt_auth: Any, ttl: int, users: Any) -> Response:
    form = await _form(request)
    everywhere = form.get("action") == "everywhere"
    client = request.client.host if request.client else ""
    try:
        await accounts.change_password(request.user, form.get("current", ""),
                                       None if everywhere else form.get("new", ""), client)
    except (AccountError, RateLimited) as exc:
        return Redirect(f"/settings?{_query(error=_form_error(exc))}", status_code=303)
    # Every other session ended with the old hash; this browser stays signed in with a new one.
    user = await users.by_id(request.user.id)
    return _signed_in(request, jwt_auth, ttl, user, to=f"/settings?done={'everywhere' if everywhere else 'password'}")


@post("/settings/delete", include_in_schema=False, status_code=303)
async def delete_account_page(request: Request, accounts: Any, purge: Any, queries: Any) -> Response:
    form = await _form(request)
    client = request.client.host if request.client else ""
    try:
        if form.get("confirm") != "delete":
            raise AccountError("tick the box to confirm that everything will be deleted")
        await accounts.check_password(request.user, form.get("current", ""), client)
    except (AccountError, RateLimited) as exc:
        return Redirect(f"/settings?{_query(error=_form_error(exc))}", status_code=303)
    await purge.purge(request.user.id)
    queries.forget(request.user.id)
    response = Redirect(f"/?{_query(error='Your account and everything in it were deleted.')}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the ML dashboard (admins) -------------------------------------------------------


def require_admin(request: Request) -> None:
    if not request.user.is_admin:
        raise PermissionDeniedException("admin only")


@get("/admin/ml", include_in_schema=False)
async def ml_dashboard(request: Request, recommendations: Any, message: str = "") -> Template:
    require_admin(request)
    return Template("admin_ml.html", context={"me": request.user, "page": "admin", "message": message[:300],
                                              **await _ml_context(recommendations)})


@get("/admin/ml/status", include_in_schema=False)
async def ml_status(request: Request, recommendations: Any) -> Template:
    require_admin(request)
    return Template("_ml_status.html", context=await _ml_context(recommendations))


@post("/admin/ml/train", include_in_schema=False, status_code=303)
async def ml_train(request: Request, recommendations: Any) -> Response:
    require_admin(request)
    try:
        trained = await recommendations.train()
    except RateLimited as exc:
        message = f"Training is rate limited: try again in {exc.retry_after} s."
    except NotTrained as exc:
        message = f"Nothing trained: {exc}"
    else:
        message = f"Trained model {trained['model_version']} in {trained['seconds']} s."
    return Redirect(f"/admin/ml?{_query(message=message)}", status_code=303)


async def _ml_context(recommendations: Any) -> dict:
    status = await recommendations.status()
    evaluation = clustering = None
    if status["is_trained"]:
        try:
            evaluation = await recommendations.evaluation()
            clustering = _scatter(await recommendations.clustering())
        except NotTrained:
            pass
    return {"status": status, "optimal": recommendations.optimal_k(), "evaluation": evaluation,
            "clustering": clustering, "explain": EXPLAIN}


def _scatter(clustering: dict, size: int = 320, pad: int = 12) -> dict:
    """The clustering's 2-D points scaled into an SVG square (the page draws circles)."""
    points = clustering.get("points") or []
    if points:
        xs, ys = [p["x"] for p in points], [p["y"] for p in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        sx, sy = (size - 2 * pad) / ((x1 - x0) or 1), (size - 2 * pad) / ((y1 - y0) or 1)
        dots = [(round(pad + (p["x"] - x0) * sx, 1), round(size - pad - (p["y"] - y0) * sy, 1), p["cluster"])
                for p in points[:2000]]
    else:
        dots = []
    return {**clustering, "dots": dots, "size": size}


EXPLAIN = {
    "rmse": "Root mean squared error of predicted star ratings on held-out ratings: lower is better.",
    "mae": "Mean absolute error: on average, predictions are this many stars away from the real rating.",
    "ndcg_at_10": "How close the top 10 list comes to putting the films a viewer liked first (1 is perfect).",
    "precision_at_10": "Share of the 10 recommended films that the viewer went on to rate.",
    "recall_at_10": "Share of the films a viewer went on to rate that made the top 10.",
    "coverage": "Share of the catalog that appears in anyone's recommendations.",
    "diversity": "How different the films in one list are from each other (0 to 1).",
    "novelty": "How far from the most popular films the lists reach (higher is less obvious).",
}


def page_not_signed_in(request: Request, exc: NotAuthorizedException) -> Response:
    """A page asked for without a session: the sign-in page; the API keeps its 401."""
    if request.url.path.startswith("/api/"):
        from .hardening import error_response
        return error_response(401, exc.detail or "sign in first")
    if "text/event-stream" in request.headers.get("accept", ""):
        # An open statistics page whose session ended: 204 tells its EventSource to stop
        # reconnecting (a redirect to the sign-in page would be retried for ever).
        return Response(b"", status_code=204)
    return Redirect(f"/?{_query(next=request.url.path)}#signin", status_code=303)


PAGES = [home, trends_page, signup, signin, signout, diary_page, suggest, log_film, edit_row, show_row, save_row,
         delete_row, restore_row, stats_page, year_in_review_page, stats_figures, stats_events, recommendations_page,
         import_page, import_upload, undo_import_page, watchlist_page, watchlist_add, watchlist_remove, settings_page,
         delete_account_page, change_password, ml_dashboard, ml_status, ml_train]
PUBLIC_PAGES = ["^/$", "^/trends$", "^/signup$", "^/signin$", "^/signout$", "^/static/"]

TEMPLATE_GLOBALS = {"trend_genre_rows": trend_genre_rows}
TEMPLATE_FILTERS = {"stars": display}

__all__ = ["PAGES", "TEMPLATE_FILTERS", "TEMPLATE_GLOBALS", "PUBLIC_PAGES", "SESSION_COOKIE", "page_not_signed_in"]
