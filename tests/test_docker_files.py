"""Static checks of the container files (no Docker engine needed): docker-compose.yml, the two
Dockerfiles and .dockerignore agree with the repository and with bot/launcher.py."""

from __future__ import annotations

import ast
import fnmatch
import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILES = {"rasa": ROOT / "docker" / "rasa.Dockerfile", "app": ROOT / "docker" / "app.Dockerfile"}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    result: list[tuple[str, str]] = []
    current = ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):  # comment lines inside a continued instruction are ignored
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, args = current.strip().partition(" ")
        result.append((keyword.upper(), args.strip()))
        current = ""
    assert not current, f"{dockerfile.name}: dangling line continuation"
    return result


def copy_sources(args: str) -> list[str]:
    """Source paths of one COPY instruction (shell or JSON form), flags such as --chown dropped."""
    parts = json.loads(args) if args.startswith("[") else shlex.split(args)
    parts = [p for p in parts if not p.startswith("--")]
    assert len(parts) >= 2, f"COPY needs a source and a destination: {args}"
    return parts[:-1]


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [l.strip().rstrip("/") for l in lines if l.strip() and not l.strip().startswith(("#", "!"))]


def ignored(path: str, patterns: list[str]) -> bool:
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern[3:] if pattern.startswith("**/") else None
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern):
                return True
            if bare and any(fnmatch.fnmatchcase(part, bare) for part in Path(prefix).parts):
                return True
    return False


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_has_the_three_services(compose):
    assert {"redis", "rasa", "app"} <= set(compose["services"])
    assert compose["services"]["redis"]["image"].startswith("redis:")
    assert "--appendonly" in " ".join(map(str, compose["services"]["redis"]["command"]))


def test_every_compose_build_dockerfile_exists(compose):
    builds = {name: svc["build"] for name, svc in compose["services"].items() if "build" in svc}
    assert set(builds) == {"rasa", "app"}
    for name, build in builds.items():
        context = ROOT / build.get("context", ".")
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} missing"
        assert dockerfile.resolve() == DOCKERFILES[name].resolve()


def test_compose_wiring(compose):
    services = compose["services"]
    for name in ("rasa", "app"):
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert "redis" in services[name]["depends_on"]
    assert {"rasa", "redis"} <= set(services["app"]["depends_on"])
    assert services["app"]["environment"]["DATA_DIR"] == "/data"
    assert any(str(v).endswith(":/data") for v in services["app"]["volumes"])
    assert "8000:8000" in services["app"]["ports"]
    assert "/health" in " ".join(services["app"]["healthcheck"]["test"])


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_every_copied_path_exists_and_is_not_dockerignored(image):
    patterns = dockerignore_patterns()
    copies = [args for kind, args in instructions(DOCKERFILES[image]) if kind in ("COPY", "ADD")]
    assert copies, f"{image}: no COPY lines"
    for args in copies:
        assert "--from" not in args, "no multi-stage copies expected"
        for source in copy_sources(args):
            assert (ROOT / source).exists(), f"{image}: COPY source {source} does not exist"
            assert not ignored(source.rstrip("/"), patterns), f"{image}: COPY source {source} is excluded by .dockerignore"


def launcher_only_choices() -> set[str]:
    """The `choices` of `--only` in bot/launcher.py's argparse set-up, read from the source."""
    tree = ast.parse((ROOT / "bot" / "launcher.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "--only"):
            for keyword in node.keywords:
                if keyword.arg == "choices":
                    return set(ast.literal_eval(keyword.value))
    raise AssertionError("bot/launcher.py has no --only argument with choices")


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_entrypoint_runs_the_launcher(image):
    entrypoints = [args for kind, args in instructions(DOCKERFILES[image]) if kind == "ENTRYPOINT"]
    assert len(entrypoints) == 1
    command = json.loads(entrypoints[0])  # exec form, so the launcher receives SIGTERM
    assert command[1:3] == ["-m", "bot.launcher"]
    assert command[command.index("--only") + 1] == image
    assert image in launcher_only_choices()
    # The interpreter is a venv the Dockerfile creates, and the working dir is the project root.
    venv = str(Path(command[0]).parent.parent)
    runs = " ".join(args for kind, args in instructions(DOCKERFILES[image]) if kind == "RUN")
    assert f"-m venv {venv}" in runs
    workdirs = [args for kind, args in instructions(DOCKERFILES[image]) if kind == "WORKDIR"]
    assert workdirs[-1] == str(Path(venv).parent) == "/app"


def test_rasa_image_matches_the_launcher_and_config():
    text = " ".join(args for _, args in instructions(DOCKERFILES["rasa"]))
    # bot/launcher.py starts PROJECT_ROOT/.venv-rasa/bin/rasa with models/kainuu.tar.gz.
    assert "-m venv /app/.venv-rasa" in text
    assert "--fixed-model-name kainuu" in text and "--out models" in text
    # config.yml's SpacyNLP model is the folder the image builds.
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    spacy_model = next(c["model"] for c in config["pipeline"] if c["name"] == "SpacyNLP")
    assert f"scripts/build_spacy_fi.py {spacy_model}" in text


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_run_lines_are_valid_shell(image):
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("no sh")
    for kind, args in instructions(DOCKERFILES[image]):
        if kind == "RUN":
            result = subprocess.run([sh, "-n", "-c", args], capture_output=True, text=True)
            assert result.returncode == 0, f"{image}: {args}\n{result.stderr}"


def test_dockerignore_excludes_local_artifacts():
    patterns = dockerignore_patterns()
    for path in (".venv-app", ".venv-rasa", "build", "models", "data", ".git", "bot/__pycache__"):
        assert ignored(path, patterns), path
    for path in ("bot", "knowledge", "nlu_data", "requirements/rasa.lock"):
        assert not ignored(path, patterns), path
