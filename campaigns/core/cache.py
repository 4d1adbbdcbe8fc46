"""A few seconds' memory per process, for what every request reads (the API token, the time zone)."""
from collections.abc import Callable
from time import monotonic
from weakref import WeakKeyDictionary

from campaigns.extensions import db

# One memory per database engine, so two apps in one process (tests) never share what they remember.
_STORES: WeakKeyDictionary = WeakKeyDictionary()


def _store() -> dict:
    return _STORES.setdefault(db.engine, {})


def remember(key, seconds: float, load: Callable):
    """Return what is kept under `key` if it is younger than `seconds`; else load() it and keep it (not None)."""
    store = _store()
    kept = store.get(key)
    if kept is not None and monotonic() - kept[1] < seconds:
        return kept[0]
    value = load()
    if value is None:
        store.pop(key, None)
    else:
        store[key] = (value, monotonic())
    return value


def forget(key) -> None:
    """Drop what is kept under `key`, so the next read loads it afresh."""
    _store().pop(key, None)
