"""A SIGTERM (under ``stop_on_sigterm``) inside ``interrupts_held`` is raised only as it ends:
a broker spawned inside the block is always there for ``stop`` to reap."""

from __future__ import annotations

import os
import signal

import pytest

from services.platform.local_broker import interrupts_held, stop_on_sigterm


def test_a_sigterm_inside_the_block_is_raised_as_it_ends() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    stop_on_sigterm()
    reached_the_end = False
    try:
        with pytest.raises(KeyboardInterrupt), interrupts_held():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # bytecodes, where Python runs signal handlers
                pass
            reached_the_end = True
        assert signal.getsignal(signal.SIGINT) is before[1]  # handlers put back
    finally:
        signal.signal(signal.SIGTERM, before[0])
    assert reached_the_end
