"""The failed-redemption limits (REDEEM_FAILURE_LIMIT), counted by hand in flask-limiter's storage.

They were two flask-limiter shared limits; each request then re-read and re-parsed the limit text, checked every
limit through the extension's general machinery and read the counts back for X-RateLimit-* headers (about 120 µs
of the redemption's Python time). This guard parses the text once, tests the counts before the view and adds to
them only when the view says the attempt was a guess. It keeps flask-limiter's storage, strategy and keys
(LIMITER/<key>/<scope>/<amount>/<multiples>/<granularity>), so the API, the desk's plain form, every worker and
every node share the same counts as before; its 429 carries the same X-RateLimit-* and Retry-After headers. Other
answers of these routes carry no X-RateLimit-* headers any more (API.md promises none).
While the storage (Redis) cannot be reached, the counts are kept in this process's memory, as flask-limiter's
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED does: no limit is lifted, no request fails; the storage is tried again after
1, 2, 4 … 32 seconds.
"""
import functools
import time
from collections.abc import Callable

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES
from werkzeug.exceptions import TooManyRequests

from campaigns.extensions import limiter

_EXTENSION = "reciprocate.guessing"
LONGEST_WAIT = 32  # seconds between tries of an unreachable storage, at most


class TooManyGuesses(TooManyRequests):
    """429 for a breached failure limit, with the headers flask-limiter gave it."""

    def __init__(self, headers: list[tuple[str, str]]):
        super().__init__()
        self.limit_headers = headers

    def get_headers(self, environ=None, scope=None) -> list[tuple[str, str]]:
        """Return the error's headers: the content type, the limit's X-RateLimit-* and Retry-After."""
        return [*super().get_headers(environ, scope), *self.limit_headers]


class Counts:
    """One app's counts: flask-limiter's storage and strategy, or this process's memory while it is unreachable."""

    def __init__(self, app: Flask):
        strategy = STRATEGIES[app.config.get("RATELIMIT_STRATEGY", "fixed-window")]  # flask-limiter's default
        self.enabled = bool(app.config.get("RATELIMIT_ENABLED", True))  # off, flask-limiter makes no storage
        self.shared = strategy(limiter.storage) if self.enabled else None
        self.memory = strategy(MemoryStorage()) if app.config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED") else None
        self.headers = bool(app.config.get("RATELIMIT_HEADERS_ENABLED"))
        self.prefix = [app.config["RATELIMIT_KEY_PREFIX"]] if app.config.get("RATELIMIT_KEY_PREFIX") else []
        self.down_since, self.next_try, self.tries = 0.0, 0.0, 0
        self.text, self.order = None, ()

    def limits(self, text: str) -> tuple[tuple[RateLimitItem, int], ...]:
        """Return (limit, key index) pairs in flask-limiter's order: shortest window first, then as written."""
        if text != self.text:  # a setting read once; tests change it on a running app
            items = parse_many(text) if text else []
            self.order = tuple(sorted(((item, which) for which in (0, 1) for item in items), key=lambda pair: pair[0]))
            self.text = text
        return self.order

    def run(self, action: Callable):
        """Run `action(strategy)` on the shared storage, or in memory while the storage cannot be reached."""
        if self.down_since and time.monotonic() >= self.next_try:
            self._try_storage()
        if not self.down_since:
            try:
                return action(self.shared)
            except Exception:  # any storage error (a connection refused, a timeout) means the same: unreachable
                if self.memory is None:
                    raise
                current_app.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
                self.down_since, self.next_try, self.tries = time.monotonic(), time.monotonic() + 1, 1
        return action(self.memory)

    def _try_storage(self) -> None:
        if self.shared.storage.check():  # limits' storages answer False, not an error, while unreachable
            current_app.logger.info("Rate limit storage recovered")
            self.down_since = 0.0
        else:
            self.tries = min(self.tries + 1, 6)
            self.next_try = time.monotonic() + min(2 ** self.tries, LONGEST_WAIT)


@limiter.request_filter
def _guarded_request() -> bool:
    """Keep flask-limiter's own check off the guarded views: they have no limits of its own and the app no default
    ones, so at every redemption it looked through their blueprint's limits for nothing."""
    return getattr(current_app.view_functions.get(request.endpoint or ""), "guessing_guarded", False)


def init_app(app: Flask) -> None:
    """Keep the app's failure counts next to flask-limiter's (call after `limiter.init_app`)."""
    app.extensions[_EXTENSION] = Counts(app)


def _breached(strategy, order, keys: tuple[list[str], list[str]]):
    """The first limit of `order` the counts have reached, with its key; None when none is."""
    for item, which in order:
        if not strategy.test(item, *keys[which]):
            return item, keys[which]
    return None


def _refusal(strategy, item: RateLimitItem, key: list[str], headers: bool) -> TooManyGuesses:
    """The 429 for a breached limit, with X-RateLimit-* and Retry-After as flask-limiter wrote them."""
    if not headers:
        return TooManyGuesses([])
    reset, remaining = strategy.get_window_stats(item, *key)
    reset_at = int(reset + 1)
    return TooManyGuesses([("X-RateLimit-Limit", str(item.amount)), ("X-RateLimit-Remaining", str(remaining)),
                           ("X-RateLimit-Reset", str(reset_at)), ("Retry-After", str(int(reset_at - time.time())))])


def guarded(setting: str, scopes: tuple[str, str], keys: Callable[[], tuple[str, str]], guessed: Callable[[], bool],
            breached: Callable[[RateLimitItem], None]):
    """Limit a view's guesses by the limit text of config `setting`, per each of two keys in its scope.

    Before the view: a limit reached calls `breached(limit)` and answers 429. After it: when `guessed()` says the
    attempt was a guess, it counts against every limit of both keys.
    """
    def decorate(view):
        @functools.wraps(view)
        def guarded_view(*args, **kwargs):
            counts: Counts = current_app.extensions[_EXTENSION]
            order = counts.limits(current_app.config[setting])
            if not (counts.enabled and limiter.enabled and order):
                return view(*args, **kwargs)
            both = tuple([*counts.prefix, key, scope] for key, scope in zip(keys(), scopes))
            reached = counts.run(lambda strategy: _breached(strategy, order, both))
            if reached is not None:
                breached(reached[0])
                raise counts.run(lambda strategy: _refusal(strategy, *reached, counts.headers))
            try:
                return view(*args, **kwargs)
            finally:
                if guessed():
                    counts.run(lambda strategy: [strategy.hit(item, *both[which]) for item, which in order])

        guarded_view.guessing_guarded = True
        return guarded_view

    return decorate
