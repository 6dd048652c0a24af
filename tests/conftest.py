"""Shared fixtures and helpers of the tests, and the guard of the quick loop.

The quick loop is `python3 -m pytest -m "not slow"`. A test that starts a browser, a Streamlit server,
nginx, redis or node, or trains a model, is marked slow (`pytestmark = pytest.mark.slow` for a whole
module, `@pytest.mark.slow` otherwise). Two guards keep the loop quick: test_quick_loop.py fails when a
test not marked slow asks for a fixture in SLOW_FIXTURES, and an audit hook (below) fails a test not
marked slow that starts a program in SLOW_PROGRAMS or SLOW_MODULES, whichever helper starts it.

Helpers live in plain modules beside this one, which test files import (never another test file):
pagetest.py (the page through AppTest), liveapp.py (a real server and Chromium), barepage.py (the
browser code on a bare page), ownmodels.py (your own data and models), streamlit_client.py.
"""

import os
import re
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
torch.set_num_threads(1)  # tests are many small models; threads only add contention on 2 cores

from liveapp import chromium_path, launch_chromium, streamlit_server  # noqa: E402
from ownmodels import train_cli, write_idx  # noqa: E402

from vae import ModelCard, build_model  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def tiny_card(kind="vae", dataset="digits", latent_dim=2, arch=None, name=None) -> ModelCard:
    shape = (1, 32, 32) if dataset == "sprites" else (1, 8, 8)
    arch = arch or ({"type": "conv", "channels": [8, 8], "hidden": 16} if dataset == "sprites"
                    else {"type": "mlp", "hidden": [16, 8]})
    return ModelCard(name=name or f"{dataset}-{kind}-z{latent_dim}", kind=kind, dataset=dataset,
                     image_shape=shape, latent_dim=latent_dim, architecture=arch)


def readme_commands() -> list[str]:
    """The README's first two commands: run the app, and install and run every test (CI's)."""
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


@pytest.fixture
def tiny_model():
    def make(kind="vae", **kw):
        torch.manual_seed(0)
        return build_model(tiny_card(kind, **kw)).eval()
    return make


# ---- what slow tests share ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    """A `streamlit run app.py` on 127.0.0.1 for the module's tests: its base URL (stopped after them)."""
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for the module's tests (each opens its own context)."""
    if chromium_path() is None:
        message = "Chromium is missing: apt-get install -y chromium"
        if IN_CI:
            pytest.fail(message)  # CI installs it; a missing browser there is a broken setup, not a skip
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """DATA (64 random 28x28 images) and MODELS/{ae, vae, vae-b4}.safetensors trained on it, one epoch each.
    Tests read it; to break something they copy it first."""
    root = tmp_path_factory.mktemp("own")
    write_idx(root / "DATA")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # a relative --data-root, recorded as an absolute path
        train_cli("MODELS/ae.safetensors", "--kind", "ae", "--data-root", "DATA")
        train_cli("MODELS/vae.safetensors", "--kind", "vae", "--data-root", "DATA")
        train_cli("MODELS/vae-b4.safetensors", "--kind", "vae", "--beta", "4", "--data-root", "DATA")
    return root


# ---- the quick loop's guard -------------------------------------------------------------------------

SLOW_FIXTURES = {"browser", "server", "trained"}  # and whatever asks for them (the fixture names are transitive)
SLOW_PROGRAMS = {"chromium", "chrome", "headless_shell", "node", "nginx", "redis-server", "strace"}
SLOW_MODULES = {"streamlit", "deploy.local", "benchmarks", "benchmarks.replicas"}  # python3 -m ...
_quick = False  # a test not marked slow runs now (its setup or its call)
_started = []  # the slow programs it started


def slow_program(executable, args) -> str | None:
    """What a subprocess about to start runs, if it is slow: a program's name, or `python3 -m module`."""
    argv = [str(a) for a in ([args] if isinstance(args, (str, bytes, os.PathLike)) else args)]
    name = Path(str(executable or argv[0])).name
    if name in SLOW_PROGRAMS:
        return name
    if "-m" in argv[:-1] and argv[argv.index("-m") + 1] in SLOW_MODULES:
        return f"python3 -m {argv[argv.index('-m') + 1]}"
    return None


def _note_slow_programs(event, args):
    # Every process start (subprocess, asyncio, Playwright's driver) raises this audit event before it forks.
    # It is noted, not refused: an exception raised here inside Playwright's greenlet breaks the interpreter.
    if event == "subprocess.Popen" and _quick and (program := slow_program(args[0], args[1])):
        _started.append(program)


sys.addaudithook(_note_slow_programs)


def is_slow(item) -> bool:
    return item.get_closest_marker("slow") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):  # a module's fixtures start in the setup of its first test
    return (yield from _as_quick_test(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _as_quick_test(item))


def _as_quick_test(item):
    """Fails a test not marked slow that started a slow program (after it ran, so it is stopped as usual)."""
    global _quick
    _quick, _started[:] = not is_slow(item), []
    try:
        result = yield
    finally:
        _quick = False
    if _started:
        pytest.fail(f"{item.nodeid} starts {', '.join(sorted(set(_started)))} but is not marked slow: mark it "
                    "@pytest.mark.slow (the quick loop, -m \"not slow\", starts no browser, server, nginx, redis "
                    "nor node)", pytrace=False)
    return result
