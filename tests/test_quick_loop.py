"""The quick loop, `python3 -m pytest -m "not slow"`, stays quick: what starts a browser, a server, nginx,
redis or node, or trains, is marked slow (conftest.py holds the guard; this is its test)."""

import os
import subprocess
import sys

from conftest import ROOT, SLOW_FIXTURES, is_slow, slow_program


def test_no_test_asks_for_the_browser_a_server_or_trained_models_without_the_slow_mark(request):
    unmarked = [f"{item.nodeid} asks for {', '.join(sorted(SLOW_FIXTURES & set(item.fixturenames)))}"
                for item in request.session.items if SLOW_FIXTURES & set(item.fixturenames) and not is_slow(item)]
    assert unmarked == []


def test_no_test_file_imports_another():
    for path in sorted((ROOT / "tests").glob("*.py")):
        lines = path.read_text().splitlines()
        assert not [line for line in lines if line.lstrip().startswith(("from test_", "import test_"))], path.name


def test_a_test_not_marked_slow_that_starts_nginx_fails_and_says_why(tmp_path):
    (tmp_path / "test_guarded.py").write_text(f"""
import subprocess, pytest
NGINX = ["nginx", "-v"]  # a slow program, though this call is quick
def test_unmarked():
    subprocess.run(NGINX, check=True)
@pytest.mark.slow
def test_marked():
    subprocess.run(NGINX, check=True)
def test_quick():
    subprocess.run([{sys.executable!r}, "-c", "pass"], check=True)
""")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
                          str(tmp_path / "test_guarded.py")], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "tests")}, timeout=300)
    assert "1 failed, 2 passed" in run.stdout, run.stdout + run.stderr
    assert "test_guarded.py::test_unmarked starts nginx but is not marked slow" in run.stdout


def test_what_counts_as_a_slow_program():
    assert slow_program("/usr/bin/chromium", ["chromium", "--headless"]) == "chromium"
    assert slow_program(None, ["redis-server", "--port", "0"]) == "redis-server"
    assert slow_program(sys.executable, [sys.executable, "-m", "benchmarks", "--quick"]) == "python3 -m benchmarks"
    assert slow_program(sys.executable, [sys.executable, "-m", "streamlit", "run", "app.py"]) == "python3 -m streamlit"
    assert slow_program("/usr/bin/ruff", ["ruff", "check", "."]) is None
    assert slow_program(sys.executable, [sys.executable, "-m", "vae", "evaluate", "-m"]) is None
