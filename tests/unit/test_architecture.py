"""The domain imports only the standard library and msgspec."""

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
