"""A class at once: many sessions committing codes on one server, each seeing only its own state.

Sessions speak Streamlit's own websocket protocol (tests/streamlit_client.py), so thirty of them
fit in one process beside the server. This is the short version; benchmarks/ runs it for a minute.
"""

import asyncio
import statistics
import time
import urllib.request

import pytest
from liveapp import rss_mb, streamlit_server
from pagetest import APP, expected_kl_text
from streamlit_client import Session

import vae

SESSIONS = 30
SECONDS = 8


async def one_student(url, own_values, expected, deadline, latencies, problems):
    session = Session(url)
    try:
        await session.connect()
        i = 0
        while time.monotonic() < deadline:
            value = own_values[i % len(own_values)]
            latencies.append(await session.set_code(mu_0=value))
            shown = session.kl()
            if shown != expected[value]:
                problems.append(f"session saw KL {shown} for its mu_0 = {value}, expected {expected[value]}")
            i += 1
        problems.extend(session.errors)
    except Exception as e:  # a dropped connection or a timeout is a failure of the server
        problems.append(f"{type(e).__name__}: {e}")
    finally:
        await session.close()


async def class_at_once(url, sessions, seconds):
    # each session its own values, so a leak from another session shows as a wrong KL
    values = {s: [round(-3 + 0.05 * ((7 * s + k) % 120), 2) for k in range(6)] for s in range(sessions)}
    expected = expected_kl_text({v for vs in values.values() for v in vs})
    latencies, problems = [], []
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(one_student(url, values[s], expected, deadline, latencies, problems)
                           for s in range(sessions)))
    return latencies, problems


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_thirty_sessions_each_see_only_their_own_state():
    with streamlit_server() as url:
        asyncio.run(class_at_once(url, 2, 2))  # warm: models and caches loaded
        before = rss_mb(url.pid)
        latencies, problems = asyncio.run(class_at_once(url, SESSIONS, SECONDS))
        after = rss_mb(url.pid)
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
            assert r.status == 200
    assert problems == []
    assert len(latencies) >= SESSIONS * 2
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"{len(latencies)} interactions, p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, RSS {before:.0f} -> {after:.0f} MB")
    assert after - before < 150  # thirty sessions' state, not a leak; the benchmark measures growth


@pytest.mark.slow
def test_a_client_that_vanishes_mid_interaction_harms_no_one():
    async def scenario(url):
        quitter = Session(url)
        await quitter.connect()
        await quitter.ws.send(b"\x00garbage that is no BackMsg")  # a confused client, then gone
        await quitter.close()
        stayer = Session(url)
        await stayer.connect()
        await stayer.set_code(mu_0=1.0)
        return stayer.kl(), stayer.errors

    with streamlit_server() as url:
        kl, errors = asyncio.run(scenario(url))
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
            assert r.status == 200
    assert errors == [] and kl == expected_kl_text([1.0])[1.0]


def test_models_are_shared_read_only():
    from streamlit.testing.v1 import AppTest

    from page.models import load_model

    at = AppTest.from_file(APP, default_timeout=120).run()
    at.session_state["mu_0"] = 2.0
    at.run()
    shared = load_model("digits-vae-z2")
    fresh = vae.load_pretrained("digits-vae-z2")
    assert not shared.training and not any(p.requires_grad for p in shared.parameters())
    for key, value in fresh.state_dict().items():
        assert shared.state_dict()[key].equal(value), key
