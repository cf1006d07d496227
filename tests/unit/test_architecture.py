"""The rules of the house: the domain imports only the standard library and msgspec, and each part
of the package imports only the layers below it."""

import ast
import sys
from pathlib import Path

import cinematch.domain

ALLOWED_THIRD_PARTY = {"msgspec"}


def test_domain_imports_no_infrastructure():
    root = Path(cinematch.domain.__file__).parent
    bad = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY:
                    bad.append(f"{path.name}: {name}")
    assert bad == []


def test_public_helpers_are_exported():
    from cinematch.domain import clean_key, normalize_title
    assert callable(clean_key) and callable(normalize_title)


# The layers of src/cinematch, bottom up, and what each may import of the package (besides itself).
# A name missing from a row is a rule: services never reach an adapter, the container or an
# entrypoint; adapters never reach a service, the container or an entrypoint; only the
# entrypoints and the container wire things together.
LAYERS = {
    "domain": set(),
    "paths": set(),
    "progress": set(),
    "i18n": {"domain"},
    "settings": {"domain", "paths"},  # a setting checked by the domain's own rule (a retraining period)
    "data": {"domain", "progress"},
    "ml": {"domain", "data"},
    "services": {"domain", "data", "ml", "progress"},
    "adapters": {"domain", "paths"},
    "container": {"domain", "services", "adapters", "settings", "paths"},
    "runtime": {"domain", "services", "adapters", "settings", "paths", "container"},
    "entrypoints": {"domain", "data", "ml", "services", "adapters", "container", "runtime", "settings", "paths",
                    "progress", "i18n"},
    "__main__": {"entrypoints"},
    "__init__": set(),
}


def package_imports(root: Path) -> dict[str, set[str]]:
    """Each top-level part of the package -> the other parts it imports (relative or absolute,
    at module level or inside a function)."""
    edges: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        top = rel.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.level:
                base = list(rel.parts[:-1])
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                targets.append((base + (node.module.split(".") if node.module else []))[:1])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cinematch."):
                targets.append(node.module.split(".")[1:2])
            elif isinstance(node, ast.Import):
                targets += [a.name.split(".")[1:2] for a in node.names if a.name.startswith("cinematch.")]
            for target in targets:
                if target and target[0] != top:
                    edges.setdefault(top, set()).add(target[0].removesuffix(".py"))
    return edges


def test_every_part_imports_only_the_layers_below_it():
    root = Path(cinematch.domain.__file__).parents[1]
    edges = package_imports(root)
    assert set(edges) <= set(LAYERS), f"a part the layer table does not know: {set(edges) - set(LAYERS)}"
    wrong = {part: sorted(uses - LAYERS[part]) for part, uses in edges.items() if uses - LAYERS[part]}
    assert wrong == {}


def test_the_layer_check_sees_a_wrong_import(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "x.py").write_text("from ..adapters.sqlite import Database\n")
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "y.py").write_text("def f():\n    from cinematch.services import diary\n")
    assert package_imports(tmp_path) == {"services": {"adapters"}, "adapters": {"services"}}
