"""The command line as a person meets it: a failing command says why in one line on stderr
(naming the file, line and column where there is one) and exits 2 for bad input, never a
traceback; accounts from the command line; progress only on a terminal."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from cinematch.progress import Progress

PASSWORD = "correct-horse-battery-9"


def cli(*args: str, data_dir, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinematch", *args], capture_output=True, text=True, input=stdin,
                          timeout=120, env={**os.environ, "CINEMATCH_DATA_DIR": str(data_dir)})


def one_line_error(run: subprocess.CompletedProcess, code: int = 2) -> str:
    assert run.returncode == code, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cinematch: "), run.stderr
    return lines[0]


@pytest.mark.parametrize("content,expected", [
    (None, "/missing.json: No such file or directory"),
    ('{"title": "Heat"}', "Expected `array`, got `object`"),  # the wrong shape
    ('[{"title": 5}]', "Expected `str`, got `int` - at `$[0].title`"),
    ('[\n  {"title": "Heat",\n   "year": }\n]', "line 3, column 12: JSON is malformed"),  # where in the file
])
def test_catalog_import_failures(tmp_path, content, expected):
    path = "/missing.json" if content is None else str(tmp_path / "films.json")
    if content is not None:
        (tmp_path / "films.json").write_text(content)
    assert expected in one_line_error(cli("catalog", "import", path, data_dir=tmp_path / "data"))


@pytest.mark.parametrize("content,expected", [
    ("user_id,item_id,rating\nu1,https://boxd.it/2a1b,x\n", "line 2, column 3 (rating): 'x' is not a number"),
    ("u1,i1,4\nu2,i2\n", "line 2: 2 column(s); expected user_id,item_id,rating"),
    ("u1,i1,4,yesterday\n", "line 1, column 4 (timestamp): 'yesterday' is not a number"),
])
def test_ml_evaluate_names_the_file_line_and_column_of_a_bad_csv(tmp_path, content, expected):
    bad = tmp_path / "diary.csv"
    bad.write_text(content)
    good = tmp_path / "good.csv"
    good.write_text("u1,i1,4\nu2,i1,3\n")
    line = one_line_error(cli("ml", "evaluate", "--train", str(bad), "--test", str(good), data_dir=tmp_path))
    assert str(bad) in line and expected in line


def test_a_missing_folder_and_a_usage_error(tmp_path):
    assert "is not a folder" in one_line_error(cli("catalog", "import-imdb", str(tmp_path / "no"), data_dir=tmp_path))
    run = cli("ml", "evaluate", "--train", "x.csv", data_dir=tmp_path)
    assert "--train and --test go together" in one_line_error(run)
    run = cli("serve", "--port", "eighty", data_dir=tmp_path)  # argparse's own usage error: exit 2, no traceback
    assert run.returncode == 2 and "invalid int value" in run.stderr and "Traceback" not in run.stderr


def test_user_create_and_reset_password(tmp_path):
    data = tmp_path / "data"
    made = cli("user", "create", "Ops", "--admin", "--password-stdin", data_dir=data, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    user = json.loads(made.stdout)
    assert (user["username"], user["is_admin"]) == ("Ops", True)
    assert "is taken" in one_line_error(cli("user", "create", "ops", "--password-stdin", data_dir=data,
                                            stdin=PASSWORD + "\n"))
    assert "at least 10 characters" in one_line_error(cli("user", "create", "newbie", "--password-stdin",
                                                          data_dir=data, stdin="short\n"))
    assert "no terminal to ask" in one_line_error(cli("user", "create", "newbie", data_dir=data, stdin=""))
    reset = cli("user", "reset-password", "ops", "--password-stdin", data_dir=data, stdin="another-horse-battery-7\n")
    assert reset.returncode == 0 and json.loads(reset.stdout)["signed_out"] is True
    assert "no user named 'nobody'" in one_line_error(cli("user", "reset-password", "nobody", "--password-stdin",
                                                          data_dir=data, stdin=PASSWORD + "\n"))

    from litestar.testing import TestClient

    from cinematch.entrypoints.web import create_app
    from tests.support import wired
    with TestClient(create_app(wired("sqlite", data_dir=data, ml_train_on_start=False))) as client:
        old = client.post("/api/auth/token", json={"username": "ops", "password": PASSWORD})
        new = client.post("/api/auth/token", json={"username": "ops", "password": "another-horse-battery-7"})
    assert (old.status_code, new.status_code) == (401, 200)


def test_progress_shows_on_a_terminal_only(tmp_path):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True
    shown = Terminal()
    progress = Progress(file=shown)
    for n in range(0, 1001, 250):
        progress("films written", n, 1000)
    progress.close()
    assert "films written" in shown.getvalue() and "1.00k/1.00k" in shown.getvalue()
    quiet = io.StringIO()  # not a terminal
    Progress(file=quiet)("films written", 10, 100)
    assert quiet.getvalue() == ""
    films = tmp_path / "films.json"
    films.write_text(json.dumps([{"title": f"Film {i}", "year": 2000} for i in range(3000)]))
    run = cli("catalog", "import", str(films), data_dir=tmp_path / "data")  # stderr is a pipe here
    assert run.returncode == 0 and json.loads(run.stdout) == {"upserted": 3000} and run.stderr == ""


def test_the_relay_on_a_store_without_an_outbox_says_so(tmp_path):
    """The relay is wired only where the diary keeps an outbox (MongoDB)."""
    line = one_line_error(cli("relay", "--profile", "embedded", data_dir=tmp_path))
    assert "the outbox relay needs MongoDB storage" in line


def test_serve_refuses_to_start_without_the_pages_scripts(tmp_path, monkeypatch, capsys):
    """A wheel or `pip install .` made without the npm step: one clear line, no server."""
    from cinematch.entrypoints.cli import main
    from cinematch.entrypoints.web.assets import Assets
    monkeypatch.setenv("CINEMATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(Assets, "missing", lambda self: ["vendor/htmx.min.js"])
    assert main(["serve", "--port", "9"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("cinematch: the pages' scripts are missing (vendor/htmx.min.js)") and "scripts/assets" in line
