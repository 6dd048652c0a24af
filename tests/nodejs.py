"""The browser's modules run by node (tests/js/run.mjs), as the browser runs them: the parity tests' way in."""

import json
import shutil
import subprocess

import pytest
from conftest import IN_CI, ROOT


def node(request: dict):
    if shutil.which("node") is None:
        if IN_CI:
            pytest.fail("node is missing: it comes with the machine (Node.js 20)")
        pytest.skip("node is missing")
    done = subprocess.run(["node", str(ROOT / "tests" / "js" / "run.mjs")], input=json.dumps(request),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
