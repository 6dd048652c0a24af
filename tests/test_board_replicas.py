"""The class board on two replicas with Redis (python -m deploy.local --board redis): the replica serving the
board's event stream is SIGKILLed while drawings arrive. The board comes back on the survivor with
Last-Event-ID and replays from Redis; every accepted drawing reaches it once."""

import functools

import pytest
from deploying import deployment, running

from benchmarks.board import figures, kill_board_replica, room, run_class


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_killed_replica_loses_no_accepted_drawing_and_the_board_resumes_with_last_event_id():
    with deployment(2, "--board", "redis") as d:
        assert "redis-server starting on redis://127.0.0.1:" in d.log.read_text()
        code = room(d.url)["code"]
        tally = run_class(d.url, code, students=8, seconds=12, every=(2.1, 3.0),
                          faults=[(5, functools.partial(kill_board_replica, d))])
        assert tally.killed and not running(d.replicas[tally.killed])
        f = figures(tally)
        assert f["accepted"] >= 20
        assert (f["lost"], f["duplicated"]) == (0, 0), f
        assert len(tally.gaps_s) >= 1 and tally.snapshots_after_reconnect == 0, f  # resumed, not started over
