"""The benchmark suite runs (quick mode): a smoke test, never a judgement of the figures."""

import json
import math
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.timeout(900)
def test_quick_benchmarks_run_and_write_every_figure(tmp_path):
    subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True, text=True, timeout=880)
    results = json.loads((tmp_path / "results.json").read_text())
    figures = results["figures"]
    for name in ("slider_latency_ms", "resample_latency_ms", "floor_latency_ms", "overhead_ratio", "server_ms",
                 "server_ms_beside_browser", "floor_nodelay_latency_ms", "overhead_ratio_same_server",
                 "model_compute_ms", "first_render_s", "memory_mb", "class_students", "class_hammer",
                 "training_ratio", "rebuild_s"):
        assert name in figures, name

    def numbers(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from numbers(v)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            yield x

    assert all(math.isfinite(v) for v in numbers(figures))
    assert figures["class_students"]["errors"] == 0 and figures["class_hammer"]["errors"] == 0
    table = (tmp_path / "results.md").read_text()
    assert "| slider_latency_ms |" in table and results["machine"]["cores"] >= 1
