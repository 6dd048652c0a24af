import shutil
import subprocess

from conftest import ROOT


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is installed by requirements-dev.txt"
    result = subprocess.run([ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout


def test_the_backend_never_imports_streamlit():
    import sys

    code = ("import sys, vae, vae.explore, vae.plots, vae.judge, vae.lessons, vae.__main__; "
            "assert 'streamlit' not in sys.modules, 'vae imported streamlit'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
