"""Keeps the garbage collector's full passes off the matcher's hot path.

The profile cache held ~240 tracked objects per candidate (15 since it keeps scoring's view of a
profile, up to 100k of them), so a full collection over a warm cache walked millions of objects
(~3 s at 20k profiles), and the growing cache and decision book set one off every few shortlists
(measured at 100k candidates: 58 full passes, 4.8 s, in 250 shortlists; repeat-call p99 487 ms,
186 ms with this). Once per shortlist, when its pool is parsed and before scoring allocates, a
young collection clears fresh cyclic garbage and ``gc.freeze`` moves what is still alive out of
the collector's reach. Frozen objects are still freed when their last reference goes (profiles
and decision records hold no cycles); what a freeze can strand is an object alive then that
later ends up in an unreachable cycle, so every ``THAW_EVERY`` shortlists everything is handed
back to the collector, whose next full pass reclaims such cycles (one slow shortlist in
``THAW_EVERY``). Nothing is frozen while the cache is small (tests, small pools), where full
passes are cheap.

Parsing a pool the cache lacks allocated ~70k objects that stay alive (when profiles were kept
as full models), and at the default young-generation threshold (700) the collections this set
off, each walking the survivors again, cost three times the parse itself (a profile kept: 655 us,
184 us at ``YOUNG_THRESHOLD``).
``space_young_collections`` raises the threshold for the matcher's process; garbage cycles then
wait a little longer, a few MB at most.
"""

from __future__ import annotations

import gc
import threading


class Heap:
    THAW_EVERY = 1_000
    YOUNG_THRESHOLD = 100_000

    def __init__(self, min_cached: int = 1_000) -> None:
        """``min_cached``: below this many cached profiles a full pass is cheap; leave gc alone."""
        self.min_cached = min_cached
        self._settled = 0
        self._lock = threading.Lock()

    @classmethod
    def space_young_collections(cls) -> None:
        """Process-wide: called once by the matcher's composition root."""
        young, *older = gc.get_threshold()
        gc.set_threshold(max(young, cls.YOUNG_THRESHOLD), *older)

    def settle(self, cached: int) -> bool:
        """Once per shortlist, with ``cached`` profiles in the cache; True if it froze the heap."""
        if cached < self.min_cached:
            return False
        with self._lock:
            self._settled += 1
            if self._settled % self.THAW_EVERY == 0:
                gc.unfreeze()
                return False
            gc.collect(1)
            gc.freeze()
            return True
