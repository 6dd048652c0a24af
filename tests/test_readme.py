"""The README's two commands are the ones CI and users run."""

import re

from conftest import ROOT, readme_commands


def test_readme_opens_with_run_and_test_commands():
    run, test = readme_commands()
    assert "requirements.txt" in run and "streamlit run app.py" in run
    assert "apt-get install -y chromium nginx strace" in test and "requirements-dev.txt" in test and "pytest" in test


def test_ci_runs_the_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci


def test_requirements_are_exact_pins_and_torch_is_the_pinned_cpu_build():
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+]*", p) for p in pins), pins
    assert "torch==2.13.0" in pins and not any(p.startswith("torchvision") for p in pins)
