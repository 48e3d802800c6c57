"""The session's request timing (`Session.schedule`): a lone change is asked for at once, a burst
is debounced, and a long burst (a drag, a held key) still asks for quick previews now and then.
The session's clock is a fake one here, moved by the tests: no sleeps, no timed asserts."""

from __future__ import annotations

import types

import pytest

from kmeans_desktop.gui import session as session_module
from kmeans_desktop.gui.session import Session


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms / 1000


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(session_module, "time", types.SimpleNamespace(monotonic=c.monotonic))
    return c


@pytest.fixture
def session(qapp, clock):
    s = Session()
    s.asked, s.moved = [], []
    s.requestWanted.connect(s.asked.append)
    s.targetMoved.connect(lambda: s.moved.append(s.k))
    yield s
    s.close()


def test_a_lone_change_is_asked_for_at_once(session, clock):
    session.set_k(20)
    assert session.asked == [True] and not session.request_pending()
    clock.advance(Session.LONE_MS)
    session.set_dither(True)  # quiet long enough since: alone again
    assert session.asked == [True, True] and session.moved == [20, 20]


def test_a_burst_is_debounced_after_its_first_change(session, clock, qtbot):
    session.set_k(20)  # the first: at once (the changes after it cancel its work: targetMoved)
    for k in range(21, 26):
        clock.advance(15)
        session.set_k(k)
    assert session.asked == [True] and session.request_pending()
    assert session.moved == [20, 21, 22, 23, 24, 25]  # every change says so at once
    with qtbot.waitSignal(session.requestWanted, timeout=5_000) as settled:
        pass  # the debounce
    assert settled.args == [True] and session.asked == [True, True]


def test_a_fast_burst_waits_for_a_pause_of_its_own_pace():
    assert Session.quiet_ms([]) == Session.quiet_ms([15.0]) == Session.DEBOUNCE_MS  # pace unknown yet
    assert Session.quiet_ms([15.0, 15.0, 15.0, 15.0]) == 22  # a drag: 1.5 × its pace
    assert Session.quiet_ms([15.0, 16.0, 90.0, 14.0]) == 23  # (the median: one slow gap is no pace)
    assert Session.quiet_ms([8.0, 8.0]) == Session.DEBOUNCE_MIN_MS
    assert Session.quiet_ms([33.0, 33.0, 33.0]) == Session.DEBOUNCE_MS  # a held key: the whole debounce


def test_the_debounce_follows_the_bursts_pace(session, clock):
    session.set_k(20)
    for k in range(21, 27):
        clock.advance(15)
        session.set_k(k)
    assert session.request_pending() and session._debounce.interval() == 22
    session.dispatch()
    clock.advance(Session.LONE_MS)
    session.set_k(40)  # alone: at once, and the next burst's pace starts afresh
    clock.advance(30)
    session.set_k(41)
    assert session._debounce.interval() == Session.DEBOUNCE_MS


def test_a_held_key_slower_than_the_debounce_still_gets_quick_previews(session, clock, qtbot):
    # Auto-repeat every 60 ms: each pause outlasts DEBOUNCE_MS (a settled request each time, whose
    # work the next repeat cancels) but the repeats are one burst, so unsettled requests (quick
    # previews) still go out at least every MAX_WAIT_MS.
    session.set_k(20)
    for k in range(21, 31):
        clock.advance(60)
        session.set_k(k)
        if session.request_pending():
            with qtbot.waitSignal(session.requestWanted, timeout=5_000, check_params_cb=lambda s: s):
                pass  # the debounce fires before the next repeat
    quick = session.asked.count(False)
    assert quick >= (10 * 60) // Session.MAX_WAIT_MS - 1
    assert session.asked[0] is True and session.asked[-1] is True


def test_a_held_slider_is_a_drag_from_its_first_change(session, clock):
    clock.advance(1000)
    session.hold()  # the handle is pressed
    session.set_k(40)
    assert session.asked == [] and session.request_pending() and session.moved == [40]
    session.settle()  # let go
    assert session.asked == [True] and not session.request_pending()
    clock.advance(1000)
    session.set_k(41)  # after letting go, a lone change again
    assert session.asked == [True, True]
