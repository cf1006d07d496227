"""Lighthouse on the pages, offline, against a real `cinematch serve` (embedded profile) with a
diary of a few hundred entries: performance, accessibility and best practices, on a phone
(Lighthouse's default mobile emulation) and a desktop (its desktop preset). Lighthouse comes from
the npm registry, pinned by bench/lighthouse/package-lock.json, and drives Debian's chromium.

    python bench/lighthouse.py [--pages / /diary /stats /recommendations /lists /lists/{list}] [--check]
    python bench/lighthouse.py --pages /stats /calendar /stats/2025 /share/{share}
    python bench/lighthouse.py --pages /films/{film} /films/{backdrop}

`{backdrop}` is a film with a backdrop from a local image host (a real-size 16:9 JPEG at TMDB's
w780 and w1280 paths), fetched into CineMatch's store by a first visit before the audit.

`--check` exits 1 unless every page has performance >= 95 and accessibility and best practices
100 (the goals of issue #30). Each run's JSON report is kept under bench/out/lighthouse/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import quote
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository: tests.support
from tests.support import serving  # noqa: E402

LIGHTHOUSE = HERE / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
OUT = HERE / "out" / "lighthouse"
PASSWORD = "correct-horse-42"
ADMIN = ("admin", "admin-secret-42")
GOALS = {"performance": 95, "accessibility": 100, "best-practices": 100}
GENRES = ["Drama", "Comedy", "Crime", "Sci-Fi", "Horror", "Romance", "War", "Western"]


def install() -> None:
    """npm ci in bench/lighthouse (once: nothing is fetched again while the lock is unchanged)."""
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=HERE / "lighthouse", check=True)


def signed_in_profile(base: str, name: str, chromium: str, password: str = PASSWORD) -> str:
    """A Chromium profile signed in through the page's own form, as a person's browser is: its
    session cookie is in the cookie jar, so every request of the page carries it (the statistics
    page's event stream too). Lighthouse then runs with this profile and keeps its storage."""
    from playwright.sync_api import sync_playwright
    profile = tempfile.mkdtemp(prefix="cinematch-lighthouse-")
    with httpx.Client(base_url=base) as http:
        http.post("/api/auth/register", json={"username": name, "password": password})
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=chromium, headless=True,
                                                       args=["--no-sandbox", "--disable-gpu"])
        page = context.new_page()
        page.goto(f"{base}/")
        page.locator("#signin-username").fill(name)
        page.locator("#signin-password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/diary")
        context.close()
    return profile


def fill(base: str, entries: int) -> tuple[str, str]:
    """A catalog of 400 films, a diary of `entries` watches over two years, a ranked list of 60
    films with notes and a shared 2025; returns the list's id and the share's token (the `{list}` and
    `{share}` of a page's path; `{film}` is a catalog film's page, `/people/Director 7` a director's)."""
    rnd = random.Random(30)
    with httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/api/auth/token", json={"username": ADMIN[0], "password": ADMIN[1]}).json()
        admin = {"Authorization": f"Bearer {token['access_token']}"}
        films = [{"title": f"Film {i}", "year": 1950 + i % 70, "genres": rnd.sample(GENRES, 2),
                  "director": f"Director {i % 40}", "actors": f"Actor {i % 90}, Actor {(i * 7) % 90}",
                  "duration": 80 + i % 70} for i in range(400)]
        assert http.post("/api/admin/catalog", json=films, headers=admin).status_code == 200
        http.post("/api/auth/register", json={"username": "viewer", "password": PASSWORD})
        token = http.post("/api/auth/token", json={"username": "viewer", "password": PASSWORD}).json()
        rows = "".join(f"Film {rnd.randrange(400)},,{rnd.randint(1, 10) / 2},"
                       f"{rnd.choice([2025, 2026])}-{rnd.randint(1, 11):02d}-{rnd.randint(1, 28):02d}\n"
                       for _ in range(entries))
        answer = http.post("/api/movies/import", content="name,year,rating,date\n" + rows,
                           headers={"Authorization": f"Bearer {token['access_token']}", "content-type": "text/csv"})
        assert answer.status_code == 200, answer.text
        me = {"Authorization": f"Bearer {token['access_token']}"}
        made = http.post("/api/me/lists", json={"name": "Films to see again", "ranked": True,
                                                "description": "A bench list."}, headers=me).json()
        for i in rnd.sample(range(400), 60):
            http.post(f"/api/me/lists/{made['id']}/items", json={"name": f"Film {i}", "note": "Why: a note."},
                      headers=me)
        share = http.post("/api/me/shares", json={"kind": "year", "year": 2025}, headers=me).json()
        return made["id"], share["token"]


def image_host() -> tuple[str, object]:
    """A local stand-in for TMDB's image host serving one backdrop, a real-size JPEG per width
    (a gradient with noise, about as heavy as a photograph), at /t/p/w{780,1280}/backdrop.jpg."""
    import http.server
    import io
    import threading

    from PIL import Image, ImageFilter

    bodies = {}
    for width in (780, 1280):
        height = width * 9 // 16
        image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        noise = Image.effect_noise((width, height), 60).convert("RGB").filter(ImageFilter.GaussianBlur(0.6))
        buffer = io.BytesIO()
        Image.blend(image, noise, 0.35).save(buffer, "JPEG", quality=85)
        bodies[f"/t/p/w{width}/backdrop.jpg"] = buffer.getvalue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/t/p/w342", server


def with_backdrop(base: str, images: str) -> str:
    """A catalog film with a backdrop at `images`, its backdrop kept (a first visit starts the
    download); returns its id."""
    import time
    with httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/api/auth/token", json={"username": ADMIN[0], "password": ADMIN[1]}).json()
        film = {"title": "Backdrop Film", "year": 2023, "genres": ["Drama"], "director": "Director 7",
                "actors": "Actor 1, Actor 2", "duration": 106, "backdrop_url": f"{images}/backdrop.jpg"}
        assert http.post("/api/admin/catalog", json=[film],
                         headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 200
        found = http.get("/api/catalog/search", params={"q": "Backdrop Film"}).json()["items"][0]["id"]
        for _ in range(100):
            if 'class="backdrop"' in http.get(f"/films/{quote(found, safe='')}").text:
                return str(found)
            time.sleep(0.1)
    raise SystemExit("the backdrop was never kept")


def with_experiment(base: str) -> None:
    """A trained model and a running experiment of two variants, shown to the viewer (the admin's
    `/admin/experiments` and `/admin/ml` then have figures, a chart and the monitor's)."""
    with httpx.Client(base_url=base, timeout=300) as http:
        token = http.post("/api/auth/token", json={"username": ADMIN[0], "password": ADMIN[1]}).json()
        admin = {"Authorization": f"Bearer {token['access_token']}"}
        assert http.post("/api/admin/ml/train", headers=admin).status_code == 200
        assert http.post("/api/admin/experiments", headers=admin, json={
            "name": "bench", "traffic": 1.0, "variants": [{"name": "control"}, {"name": "small", "params": {
                "k_svd": 4}}]}).status_code == 201
        token = http.post("/api/auth/token", json={"username": "viewer", "password": PASSWORD}).json()
        assert http.get("/api/recommendations/me", headers={
            "Authorization": f"Bearer {token['access_token']}"}).status_code == 200


def audit(url: str, profile: str | None, form: str, chromium: str, language: str = "en") -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    page = re.sub(r'[^a-z0-9]+', '-', url.split('//', 1)[1].split('/', 1)[-1]) or 'home'
    report = OUT / f"{language}-{form}-{page}.json"
    flags = "--headless=new --no-sandbox --disable-gpu" + (f" --user-data-dir={profile}" if profile else "")
    args = [str(LIGHTHOUSE), url, f"--chrome-path={chromium}", "--output=json", f"--output-path={report}",
            f"--chrome-flags={flags}", "--quiet", "--only-categories=performance,accessibility,best-practices"]
    if language != "en":  # the browser asks for the pages in that language (Accept-Language)
        args.append("--extra-headers=" + json.dumps({"Accept-Language": f"{language};q=1, en;q=0.5"}))
    if profile:
        args.append("--disable-storage-reset")  # keep the signed-in profile's cookie
    if form == "desktop":
        args.append("--preset=desktop")
    for attempt in range(3):  # Lighthouse sometimes loses its trace ("NO_NAVSTART: run Lighthouse again")
        if subprocess.run(args, env={**os.environ, "CHROME_PATH": chromium}).returncode == 0:
            break
    else:
        raise SystemExit(f"lighthouse failed three times on {url}")
    result = json.loads(report.read_text())
    scores = {k: round(100 * (v["score"] or 0)) for k, v in result["categories"].items()}
    failing = [f"{a['id']} ({a['score']})" for a in result["audits"].values()
               if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") == "binary"]
    metrics = {k: round(result["audits"][k]["numericValue"]) for k in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")}
    metrics["cls"] = round(result["audits"]["cumulative-layout-shift"]["numericValue"], 3)
    return {"scores": scores, "metrics": metrics, "failing": failing}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", nargs="+", default=["/", "/diary", "/stats", "/recommendations", "/lists",
                                                       "/lists/{list}"])
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--language", default="en", help="the pages' language the browser asks for (en, it)")
    parser.add_argument("--check", action="store_true", help="exit 1 unless every goal is met")
    parser.add_argument("--admin", action="store_true", help="audit as the admin (the /admin pages), with a "
                        "trained model and a running experiment")
    args = parser.parse_args()
    install()
    missed = []
    with tempfile.TemporaryDirectory() as data, serving(
            data, CINEMATCH_ADMIN_USERNAME=ADMIN[0], CINEMATCH_ADMIN_PASSWORD=ADMIN[1]) as base:
        made, share = fill(base, args.entries)
        chromium = os.environ.get("CINEMATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
        if args.admin:
            with_experiment(base)
        profile = (signed_in_profile(base, ADMIN[0], chromium, ADMIN[1]) if args.admin
                   else signed_in_profile(base, "viewer", chromium))
        print(f"{'page':<18} {'form':<8} {'perf':>4} {'a11y':>4} {'bp':>4} {'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7} "
              f"{'CLS':>6}")
        film = httpx.get(f"{base}/api/catalog/search", params={"q": "Film 7"}).json()["items"][0]["id"]
        backdrop = ""
        if any("{backdrop}" in p for p in args.pages):
            images, _host = image_host()
            backdrop = with_backdrop(base, images)
        for path in (p.replace("{list}", made).replace("{film}", quote(film, safe="")).replace("{share}", share)
                     .replace("{backdrop}", quote(backdrop, safe="")) for p in args.pages):
            for form in ("mobile", "desktop"):
                got = audit(f"{base}{path}", None if path == "/" else profile, form, chromium, args.language)
                s, m = got["scores"], got["metrics"]
                print(f"{path:<18} {form:<8} {s['performance']:>4} {s['accessibility']:>4} {s['best-practices']:>4} "
                      f"{m['first-contentful-paint']:>7} {m['largest-contentful-paint']:>7} "
                      f"{m['total-blocking-time']:>7} {m['cls']:>6}" + (f"  {', '.join(got['failing'])}"
                                                                          if got["failing"] else ""), flush=True)
                missed += [f"{path} {form} {k} {s[k]} < {goal}" for k, goal in GOALS.items() if s[k] < goal]
        shutil.rmtree(profile, ignore_errors=True)
    if missed:
        print("goals missed:\n  " + "\n  ".join(missed))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
