"""compose.yaml and the Dockerfile, checked without a Docker engine: Compose's own `config`
(Debian's docker-compose) validates and normalizes the file; every command and setting it gives
the app must exist in the CLI and the settings; every file the Dockerfile copies must be in the
build context (present, and not left out by .dockerignore)."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cinematch.entrypoints.cli import build_parser
from cinematch.settings import Settings, env_name

ROOT = Path(__file__).resolve().parents[2]
CINEMATCH_SERVICES = ("migrate", "app", "worker", "worker-trends", "spark")


def compose(*args: str, secret: str | None = "s" * 32) -> subprocess.CompletedProcess:
    if shutil.which("docker-compose") is None:
        message = "docker-compose is not installed (scripts/test installs it: apt-get install docker-compose)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CINEMATCH_")}
    if secret is not None:
        env["CINEMATCH_JWT_SECRET"] = secret
    return subprocess.run(["docker-compose", "-f", str(ROOT / "compose.yaml"), "--project-directory", str(ROOT), *args],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture(scope="module")
def stack() -> dict:
    run = compose("--profile", "spark", "config")
    assert run.returncode == 0, run.stderr
    return yaml.safe_load(run.stdout)


def test_compose_validates_and_names_the_whole_stack(stack):
    services = stack["services"]
    assert set(services) == {"mongo", "kafka", *CINEMATCH_SERVICES}
    major = int(re.match(r"mongo:(\d+)", services["mongo"]["image"]).group(1))
    assert major >= 7  # production is MongoDB 7 or newer
    kafka = services["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"] and "KAFKA_CONTROLLER_QUORUM_VOTERS" in kafka  # KRaft
    for name, service in services.items():
        if name != "migrate":
            assert "test" in service["healthcheck"], name
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["migrate"]
    assert {"mongo-data", "kafka-data", "cinematch-data", "spark-checkpoints"} <= set(stack["volumes"])
    assert "ports" not in services["worker"] and "ports" not in services["worker-trends"]  # `--scale` them
    assert services["worker"]["command"][-1] == "stats" and services["worker-trends"]["command"][-1] == "trends"
    assert services["app"]["environment"]["CINEMATCH_PROFILE"] == "kafka"
    assert services["spark"]["build"]["target"] == "spark" and services["app"]["build"]["target"] == "app"


def test_the_default_stack_projects_with_the_worker_and_spark_is_opt_in(stack):
    profiled = {name for name, service in stack["services"].items() if service.get("profiles")}
    assert profiled == {"spark"} and stack["services"]["spark"]["profiles"] == ["spark"]


def test_a_missing_jwt_secret_is_refused_with_the_reason():
    run = compose("config", "-q", secret=None)
    assert run.returncode != 0 and "set CINEMATCH_JWT_SECRET" in run.stderr


def test_every_command_and_setting_compose_gives_the_app_exists(stack):
    known = {env_name(f) for f in Settings.__struct_fields__}
    parser = build_parser()
    for name in CINEMATCH_SERVICES:
        service = stack["services"][name]
        args = parser.parse_args(service["command"])  # argparse exits (fails the test) on an unknown one
        assert callable(args.func)
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name}: {unknown} are not settings"
    # the image's defaults are settings too
    dockerfile = (ROOT / "Dockerfile").read_text()
    for names in re.findall(r"^ENV (.+)$", dockerfile, re.M):
        for key in re.findall(r"(CINEMATCH_[A-Z_]+)=", names):
            assert key in known, key


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/")) or path.startswith(p + "/")
               for p in patterns)


def test_the_dockerfile_copies_only_what_the_build_context_holds():
    dockerfile = (ROOT / "Dockerfile").read_text()
    patterns = dockerignore()
    sources = []
    for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.M):
        sources += line.split()[:-1]
    assert sources, "the Dockerfile copies nothing?"
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not ignored(source, patterns), f"COPY {source}: left out of the build context by .dockerignore"
    for lock in re.findall(r"requirements/[\w.]+\.lock", dockerfile):
        assert (ROOT / lock).is_file()
    stages = re.split(r"^FROM ", dockerfile, flags=re.M)
    final = [s for s in stages if re.match(r"\S+ AS (app|spark)\b", s)]
    assert len(final) == 2
    for stage in final:  # each runnable stage ends as the unprivileged user
        users = re.findall(r"^USER (\S+)", stage, re.M)
        assert users and users[-1] not in ("root", "0"), stage.splitlines()[0]
    assert 'ENTRYPOINT ["cinematch"]' in dockerfile


def test_the_lock_files_pin_every_dependency_pyproject_names():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(spec: list[str]) -> set[str]:
        return {re.split(r"[<>=!~\[; ]", s, maxsplit=1)[0].lower().replace("_", "-") for s in spec}

    def pinned(lock: str) -> set[str]:
        text = (ROOT / "requirements" / lock).read_text()
        return {m.lower().replace("_", "-") for m in re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)}
    runtime = names(project["dependencies"])
    extras = project["optional-dependencies"]
    assert runtime <= pinned("app.lock")
    assert runtime | names(extras["spark"]) <= pinned("spark.lock")
    assert runtime | names(extras["test"]) <= pinned("test.lock")
    assert runtime | names(extras["test"]) | names(extras["spark"]) <= pinned("dev.lock")


def test_a_wheel_built_from_a_clean_checkout_carries_the_pages_assets(tmp_path):
    """The npm assets are not in git; building the wheel fetches them (scripts/assets, pinned by
    web/package-lock.json), so an installed wheel serves working pages."""
    import sys
    import zipfile
    root = Path(__file__).resolve().parents[2]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    for name in ("setup.py", "pyproject.toml", "scripts/assets", "web/package.json", "web/package-lock.json"):
        (clone / name).write_bytes((root / name).read_bytes())  # this checkout's build, committed or not
    assert not (clone / "src/cinematch/entrypoints/web/static/vendor").exists()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(clone)],
                   check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("cinematch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    static = "cinematch/entrypoints/web/static/"
    for need in ("vendor/htmx.min.js", "vendor/htmx-sse.min.js", "app.js", "app.css", "icons/favicon.ico",
                 "manifest.webmanifest", "vendor/swagger/swagger-ui-bundle.js"):
        assert static + need in names, need
    assert "cinematch/i18n/locales/it/LC_MESSAGES/messages.mo" in names  # the Italian pages, compiled
