"""The benchmark suite runs (quick mode): a smoke test, never a judgement of the figures."""

import json
import math
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # Chromium, servers and training, on a small budget


@pytest.mark.timeout(900)
def test_quick_benchmarks_run_and_write_every_figure(tmp_path):
    subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True, text=True, timeout=880)
    results = json.loads((tmp_path / "results.json").read_text())
    figures = results["figures"]
    for name in ("drag_mlp", "drag_mnist", "drag_conv", "key_to_kl_ms", "floor_key_to_kl_ms", "key_ratio_to_floor",
                 "key_to_settled_ms", "key_bursts_lost", "bytes_per_commit", "server_ms", "server_ms_beside_browser",
                 "model_compute_ms", "first_render_s", "memory_mb", "class_students", "class_100_students",
                 "class_hammer", "training_ratio", "rebuild_s"):
        assert name in figures, name

    def numbers(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from numbers(v)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            yield x

    assert all(math.isfinite(v) for v in numbers(figures))
    assert figures["class_students"]["errors"] == 0 and figures["class_hammer"]["errors"] == 0
    assert figures["drag_mlp"]["frames_during"] == 0 and figures["drag_mlp"]["events"] > 0
    table = (tmp_path / "results.md").read_text()
    assert "| drag_conv |" in table and results["machine"]["cores"] >= 1
