"""benchmarks/bytes.py runs (a smoke test, never a judgement of the figures): a phone's first visit and one
drawn stroke, counted by Chromium against `streamlit run`."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.slow
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_bytes_benchmark_runs_and_writes_its_section(tmp_path):
    subprocess.run([sys.executable, "-m", "benchmarks.bytes", "--no-nginx", "--out", str(tmp_path)], cwd=ROOT,
                   check=True, capture_output=True, text=True, timeout=580)
    measured = json.loads((tmp_path / "bytes.json").read_text())["servers"]["streamlit run"]
    assert measured["first_visit"]["http"] > 0 and measured["stroke"]["http"] > 0  # the stroke fetched the encoders
    assert measured["with_drawing"] == measured["first_visit"]["total"] + measured["stroke"]["total"]
    assert "| streamlit run |" in (tmp_path / "bytes.md").read_text()
