"""Python's cycle collector held off around bulk work: a chunk of an import makes tens of thousands of objects
that live until its end (rows, checked sales, outcomes), and each time that many pile up the collector walks every
object of the process (the app's modules: about 200,000) for cycles that are not there, which cost a fifth of a
chunk. Reference counting still frees what the work drops; cycles wait for the collector's next run after it."""
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0  # threads inside held_off(): the collector comes back when the last one leaves
_was_enabled = False


@contextmanager
def held_off() -> Iterator[None]:
    """Run the block with the cycle collector off, turning it back on (if it was on) when the last such block of
    the process ends: safe to nest and to use from several threads at once."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
