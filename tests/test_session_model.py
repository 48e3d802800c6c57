"""The window's session model and the scheduler's lane policy, without a QApplication."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmeans_desktop.gui.scheduler import Lane
from kmeans_desktop.gui.session import FIRST_RUN_K, SessionModel


@dataclass
class FakeImage:
    image_id: int


@dataclass
class FakeResult:
    image_id: int
    k: int
    final: bool = True
    fit: object = None
    dither: float = 0.0

    @property
    def key(self):
        return (self.k, self.dither)

    @property
    def quantized(self):
        @dataclass
        class Q:
            palette: np.ndarray

        return Q(np.zeros((self.k, 3), np.uint8))


@dataclass
class FakeEncoded:
    image_id: int
    k: int
    dither: float = 0.0

    @property
    def key(self):
        return (self.k, self.dither)


def test_the_model_says_what_changed():
    m = SessionModel()
    seen = []
    m.subscribe(seen.append)
    assert m.k == FIRST_RUN_K and m.current_palette().shape == (0, 3)
    assert m.set_k(FIRST_RUN_K) == frozenset() and not seen  # nothing changed: nobody is told
    assert m.set_k(1000) == {"k"} and m.k == 256
    assert m.set_dither_strength(40) == frozenset()  # dithering is off: results stay the same
    assert m.set_dither(True) == {"dither"} and m.dither_value() == 0.4
    assert m.set_image(FakeImage(1)) == {"image"}
    assert m.show_result(FakeResult(2, 8)) == frozenset()  # another image's result is ignored
    assert m.show_result(FakeResult(1, 8, final=False)) == {"result"} and not m.can_save()
    assert m.set_encoded(FakeEncoded(1, 8)) == frozenset()  # bytes only for a final result
    assert m.show_result(FakeResult(1, 8)) == {"result"} and m.can_save()
    assert m.set_encoded(FakeEncoded(1, 9)) == frozenset()  # another K's bytes
    assert m.set_encoded(FakeEncoded(1, 8)) == {"encoded"}
    assert m.current_palette().shape == (8, 3)
    assert m.set_requirements_active(True) == {"requirements", "result", "encoded"}
    assert m.result is None and not m.can_save()
    m.show_result(FakeResult(1, 5, fit=object()), FakeEncoded(1, 5))
    assert m.can_save() and m.encoded.k == 5
    assert m.set_image(FakeImage(2)) == {"image", "result", "encoded"}
    assert seen[-1] == {"image", "result", "encoded"}


def test_busy_is_any_source():
    m = SessionModel()
    assert m.set_busy("preview", True) == {"busy"}
    assert m.set_busy("fit", True) == frozenset()  # still busy: no change
    assert m.set_busy("preview", False) == frozenset()
    assert m.set_busy("fit", False) == {"busy"} and not m.busy


class Runner:
    """Runs a lane's tickets when told, like the pool would."""

    def __init__(self):
        self.started = []

    def __call__(self, ticket):
        self.started.append(ticket)

    def finish(self, lane, ticket):
        ticket.run()
        return lane.finished(ticket)


def test_a_lane_runs_one_job_and_the_latest_request_wins():
    runner, done, cancelled = Runner(), [], []
    lane = Lane("x", runner, lambda t, current: done.append((t.args, current)), cancelled.append)
    first = lane.submit(lambda v: v * 2, 1)
    assert runner.started == [first] and lane.busy
    lane.submit(lambda v: v * 2, 2)
    third = lane.submit(lambda v: v * 2, 3)  # replaces the waiting one, which never runs
    assert runner.started == [first] and lane.pending is third
    assert first.cancelled and cancelled == [first]  # cancelled once, not once per request
    assert not runner.finish(lane, first)  # stale: reported, not current
    assert runner.started == [first, third]
    assert runner.finish(lane, third) and third.result == 6
    assert [c for _, c in done] == [False, True] and not lane.busy


def test_cancel_and_close_drop_what_waits():
    runner = Runner()
    lane = Lane("x", runner)
    running = lane.submit(sum, [1, 2])
    lane.submit(sum, [3])
    lane.cancel()
    assert running.cancelled and lane.pending is None
    assert not runner.finish(lane, running) and len(runner.started) == 1
    lane.close()
    assert lane.submit(sum, [1]) is None and lane.start(sum, [1]) is None


def test_a_failure_reaches_the_owner():
    runner, done = Runner(), []
    lane = Lane("x", runner, lambda t, current: done.append(t))
    ticket = lane.submit(lambda: 1 / 0)
    assert runner.finish(lane, ticket)
    assert isinstance(done[0].error, ZeroDivisionError) and "ZeroDivisionError" in done[0].trace
