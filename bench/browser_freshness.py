"""The pages' figures on the embedded profile, against a real `cinematch serve`:

1. log a film in a real browser (Debian's chromium through Playwright) and time until the
   open statistics page shows it, without a reload; p50/p99 over `--films` films (goal p99 <= 300 ms);
2. the server time of GET /stats (the whole HTML page) for a 5,000-entry diary (goal p99 <= 50 ms);
3. the JavaScript each page loads, gzipped (goal <= 150 KB).

    python bench/browser_freshness.py [--films 50] [--entries 5000]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import sys
import tempfile
import time

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository: tests.support
from probes import pct_ms as pct  # noqa: E402

from tests.support import serving  # noqa: E402

PASSWORD = "correct-horse-42"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync",
        # The statistics page is a second tab, on screen beside the diary as a person would keep it:
        # Chromium must not throttle it as a hidden tab.
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows"]


def bearer(http: httpx.Client, name: str) -> dict:
    http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
    token = http.post("/api/auth/token", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def browser_freshness(base: str, films: int) -> list[float]:
    from playwright.sync_api import sync_playwright
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        context = browser.new_context(bypass_csp=True)  # the in-page probe is an evaluated script
        diary = context.new_page()
        diary.goto(f"{base}/")
        diary.locator("#signup-username").fill("browser")
        diary.locator("#signup-password").fill(PASSWORD)
        diary.get_by_role("button", name="Sign up").click()
        diary.wait_for_url(f"{base}/diary")
        stats = context.new_page()
        stats.goto(f"{base}/stats")
        # Both clocks are the machine's (Date.now): the diary page notes when the form is submitted,
        # the statistics page when its film count changes (Playwright's own waits, throttled in a
        # tab that is not in front, are not part of the figure).
        diary.add_init_script("document.addEventListener('submit', () => { window.__submitted = Date.now(); }, true)")
        diary.reload()
        stats.evaluate("""() => { window.__seen = {};
            new MutationObserver(() => { const n = document.getElementById('total-films');
                if (n) window.__seen[n.textContent.trim()] ??= Date.now(); })
              .observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
        lat = []
        for i in range(films):
            diary.get_by_label("Title").fill(f"Film {i}")
            diary.get_by_role("button", name="Log a film").click()
            stats.wait_for_function(f"window.__seen['{i + 1}'] !== undefined", polling=10, timeout=30_000)
            submitted = diary.evaluate("window.__submitted")
            lat.append((stats.evaluate(f"window.__seen['{i + 1}']") - submitted) / 1000)
            diary.wait_for_function(f"document.getElementById('entries-title').textContent.startsWith('{i + 1} film')")
        browser.close()
    return lat


def stats_page_time(base: str, entries: int, reads: int = 200) -> list[float]:
    with httpx.Client(base_url=base, timeout=60) as http:
        h = bearer(http, "heavy")
        csv = "name,year,rating,date\n" + "".join(f"Film {i},{1950 + i % 70},{1 + i % 5},2024-{1 + i % 12:02d}-01\n"
                                                  for i in range(entries))
        sent = http.post("/api/movies/import", content=csv, headers={**h, "content-type": "text/csv"})
        assert sent.status_code == 200
        cookie = {"cinematch_session": h["Authorization"]}
        for _ in range(600):
            if "Up to date" in http.get("/stats", cookies=cookie).text:
                break
            time.sleep(0.05)
        lat = []
        for _ in range(reads):
            t0 = time.perf_counter()
            r = http.get("/stats", cookies=cookie)
            lat.append(time.perf_counter() - t0)
            assert r.status_code == 200 and f'id="total-films">{entries}<' in r.text
    return lat


def javascript_per_page(base: str) -> dict[str, int]:
    out = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        h = bearer(http, "weigher")
        cookie = {"cinematch_session": h["Authorization"]}
        for path in ("/", "/diary", "/stats", "/trends", "/recommendations", "/import", "/settings"):
            html = http.get(path, cookies=cookie).text
            total = 0
            for src in re.findall(r'<script[^>]+src="([^"]+)"', html):
                total += len(gzip.compress(http.get(src).content, 9))
            out[path] = total
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--films", type=int, default=50)
    ap.add_argument("--entries", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as data, serving(data) as base:
        fresh = browser_freshness(base, args.films)
        page = stats_page_time(base, args.entries)
        weights = javascript_per_page(base)
    print(f"log a film -> the open stats page shows it ({len(fresh)} films): p50 {pct(fresh, .5):.0f} ms, "
          f"p99 {pct(fresh, .99):.0f} ms, max {max(fresh) * 1000:.0f} ms")
    print(f"GET /stats for a {args.entries:,}-entry diary ({len(page)} reads): p50 {pct(page, .5):.1f} ms, "
          f"p99 {pct(page, .99):.1f} ms")
    print("JavaScript per page, gzipped: " + ", ".join(f"{p} {n / 1024:.1f} KB" for p, n in weights.items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
