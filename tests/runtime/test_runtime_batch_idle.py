"""An interrupted sync batch waits for every input under way, including one whose future or thread a Ctrl+C
inside ``pool.submit()`` kept from the caller (its POST may have created a task that must be reported)."""

from __future__ import annotations

import threading
import time

from modellix_typed._core.batch_book import BatchOutcome, Tally


def test_wait_idle_returns_only_after_every_input_under_way_recorded_its_outcome() -> None:
    tally = Tally(2, None)
    entered = threading.Event()

    def worker() -> None:  # a thread nobody holds a future for: it is only counted by the tally
        with tally.active():
            entered.set()
            time.sleep(0.3)  # the POST's answer arrives after the interrupt
            tally.record(BatchOutcome(0, "google/nano-banana", "timeout", "task-1"))

    threading.Thread(target=worker, daemon=True).start()
    assert entered.wait(5)
    tally.stopped.set()
    tally.wait_idle()
    assert [o.task_id for o in tally.results()] == ["task-1"]  # attached outcomes include it


def test_an_input_that_starts_after_the_stop_is_not_waited_for_long_and_sends_nothing() -> None:
    tally = Tally(1, None)
    tally.stopped.set()
    sent: list[int] = []
    with tally.active():
        if not tally.stopped.is_set():  # what the batch's worker checks first, inside active()
            sent.append(1)
    tally.wait_idle()
    assert sent == [] and tally.under_way == 0
