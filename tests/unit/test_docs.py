"""The documents hold: the README stays short, and every file or document they name exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
# `src/cinematch/x.py`, `tests/unit/`, `bench/y.py`, `scripts/devservices`, `docs/z.md`, …
PATH = re.compile(r"`((?:src|tests|bench|scripts|docs|services|devservices|config|requirements|web|\.ci)/[A-Za-z0-9_./*-]+)"
                  r"(?:::[A-Za-z0-9_]+)?`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
SHORT = {"domain", "services", "adapters", "entrypoints", "ml", "data"}  # paths the docs give inside src/cinematch
# What running things leaves (the dev services' state, the browser tier's screenshots, benchmark reports): absent from a
# clean checkout, where `pytest tests/unit` runs alone.
MADE_BY_RUNNING = ("devservices/state/", "tests/browser/screenshots/", "bench/out/", "bench/.bin")


def test_the_readme_is_for_people_who_run_cinematch():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def test_every_file_a_document_names_exists():
    missing = []
    for doc in DOCS:
        text = doc.read_text()
        for ref in PATH.findall(text):
            ref = ref.rstrip(".,")
            if "*" in ref:
                if not list(ROOT.glob(ref)):
                    missing.append(f"{doc.name}: {ref}")
            elif ref.startswith(MADE_BY_RUNNING):
                continue
            elif not (ROOT / ref).exists() and not (ref.startswith("services/") and
                                                    (ROOT / "src" / "cinematch" / ref).exists()):
                missing.append(f"{doc.name}: {ref}")  # (`services/x.py` may be the package's)
        for link in LINK.findall(text):
            if "://" in link or link.startswith("mailto:"):
                continue
            if not (doc.parent / link).exists():
                missing.append(f"{doc.name}: link {link}")
    assert not missing, "\n".join(missing)


def test_package_paths_the_documents_give_exist():
    """`domain/catalog.py`, `services/projection/projector.py`: paths inside src/cinematch."""
    short = re.compile(r"`((?:" + "|".join(SHORT) + r")/[A-Za-z0-9_./-]+\.py)`")
    missing = [f"{doc.name}: {ref}" for doc in DOCS for ref in short.findall(doc.read_text())
               if not (ROOT / "src" / "cinematch" / ref).exists() and not (ROOT / ref).exists()]
    assert not missing, "\n".join(missing)


def test_no_document_cites_a_contract_outside_the_repository():
    for doc in [*DOCS, *ROOT.glob("src/**/*.py")]:
        assert "../shared" not in doc.read_text(), doc
        assert not re.search(r"\bCONTRACT §", doc.read_text()), doc


def test_every_benchmark_figure_comes_with_its_command():
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert len(sections) >= 10
    for section in sections:
        assert "python bench/" in section, section.splitlines()[0]
