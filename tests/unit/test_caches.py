"""The fold's memory: one bounded registry per projector, and no cache anywhere else."""

import ast
from pathlib import Path

from cinematch.services.projection.caches import FoldCache
from cinematch.services.diary import NewEntry
from tests.support import recompute_matches, wired

SRC = Path(__file__).resolve().parents[2] / "src" / "cinematch"


async def test_distinct_credits_never_grow_the_projectors_cache_past_its_bound():
    app = wired("memory", fold_cache_limit=40)
    diary, runner = app.services.diary(), app.services.runner()
    cache = app.services.projector().cache
    trims, trim = [], cache.trim
    cache.trim = lambda: trims.append(trim()) or trims[-1]
    await runner.source.start()
    sizes = []
    for batch in range(12):
        for i in range(25):  # every entry a film with credits never seen before
            await diary.add(f"u{i % 3}", NewEntry(name=f"Film {batch}-{i}", rating=1 + i % 5,
                                                 director=f"Director {batch}-{i}", actors=f"Actor {batch}-{i}, Shared",
                                                 genres=[f"Genre {i % 4}"]))
        await runner.drain()
        sizes.append(cache.sizes())
    assert max(s["profiles"] for s in sizes) <= 40 + 25 and max(s["credits"] for s in sizes) <= 40 + 25
    assert max(s["keys"] for s in sizes) <= 40 + 25 * 4  # a film's keys: its director, two actors, a genre
    assert any(trims)  # 300 films seen: it did start over
    assert await recompute_matches(app, ["u0", "u1", "u2"]) == []  # and every figure is still exact


def test_trim_clears_only_past_the_limit():
    cache = FoldCache(limit=1)
    cache.profiles.lookup("Ann", "Bo", ["Drama"])
    assert cache.trim() is False
    cache.profiles.lookup("Cy", None, None)
    cache.keys.flat()
    assert cache.trim() is True and max(cache.sizes().values()) == 0


def test_each_projector_owns_its_cache():
    """The worker's two parts run in one process: one's trim must never clear the other's
    profile ids in the middle of its batch."""
    app = wired("memory")
    caches = [app.services.projector().cache, app.services.stats_projector().cache,
              app.services.trends_projector().cache]
    assert len({id(c) for c in caches}) == 3


def module_level_caches(tree: ast.Module) -> list[str]:
    """Names bound at module level to an empty dict, list or set, or to an lru_cache, and
    functions decorated with a cache: state that outlives a call."""
    found = []
    for node in tree.body:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                text = ast.unparse(d)
                if "cache" in text:
                    found.append(f"{node.name} (@{text})")
            continue
        if value is None:
            continue
        empty = (isinstance(value, (ast.Dict, ast.List, ast.Set)) and not getattr(value, "keys", None)
                 and not getattr(value, "elts", None))
        made = isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] in {
            "dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"} and not value.args
        cached = isinstance(value, ast.Call) and "lru_cache" in ast.unparse(value)
        if empty or made or cached:
            found += [ast.unparse(t) for t in targets]
    return found


# The one module state allowed, with its reason.
ALLOWED = {
    # A Spark executor's Python worker has no composition root of its own: this maps each
    # job configuration to the worker's event loop and container, built on first use.
    "entrypoints/spark/executors.py": {"_runtimes"},
    # The translations shipped in the package (.mo files): read once, they never change while the
    # process runs, and nothing of a person's data is in them.
    "i18n/__init__.py": {"catalog (@cache)"},
}


def test_no_module_level_cache_outside_the_registry():
    offenders = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        names = set(module_level_caches(ast.parse(path.read_text()))) - ALLOWED.get(rel, set())
        if names:
            offenders[rel] = sorted(names)
    assert offenders == {}


def test_the_guard_sees_a_cache():
    tree = ast.parse("import functools\n_seen: set[str] = set()\n_hits = {}\n"
                     "_key = functools.lru_cache(maxsize=9)(str)\n@functools.cache\ndef f(): ...\nOK = {'a': 1}\n")
    assert module_level_caches(tree) == ["_seen", "_hits", "_key", "f (@functools.cache)"]


def test_distinct_instants_never_cost_the_profiles():
    """A diary's instants are mostly distinct: past the bound they are forgotten alone."""
    cache = FoldCache(limit=5)
    pid, _ = cache.profiles.lookup("Ann", "Bo", ["Drama"])
    cache.parsed.instants.update(f"2025-01-01T00:00:0{i}Z" for i in range(8))
    cache.days.update({(f"2025-01-01T00:00:0{i}Z", "UTC"): "2025-01-01" for i in range(8)})
    assert cache.trim() is False
    assert len(cache.parsed) == 0 and len(cache.days) == 0
    assert cache.profiles.lookup("Ann", "Bo", ["Drama"])[0] == pid and len(cache.profiles) == 1


def test_the_default_bound_is_the_registrys_own():
    from cinematch.services.projection.caches import LIMIT
    assert wired("memory").services.projector().cache.limit == LIMIT
    assert wired("memory", fold_cache_limit=7).services.projector().cache.limit == 7
