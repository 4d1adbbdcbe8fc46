"""A report's period: `from` and `to` local dates (inclusive), the presets owners pick from, and the previous
period a comparison sets beside it (METRICS.md "Date ranges": the same number of days just before it)."""
from dataclasses import dataclass
from datetime import date, timedelta

from campaigns.accounts.business import business_zone
from campaigns.core import inputs
from campaigns.core.errors import FieldErrors, ValidationError
from campaigns.models import utcnow

# How long a date range may be, so a typo cannot ask for centuries.
RANGE_MAX_DAYS = 3660
PRESETS = {"last_7_days": "Last 7 days", "last_30_days": "Last 30 days", "last_90_days": "Last 90 days",
           "this_month": "This month", "last_month": "Last month", "this_year": "This year", "all_time": "All time"}
COMPARISONS = ("previous",)


@dataclass(frozen=True)
class Period:
    """The dates a report covers (None where open), the preset that named them, and whether to compare."""

    since: date | None = None
    until: date | None = None
    preset: str | None = None
    compare: bool = False

    @property
    def previous(self) -> tuple[date, date] | None:
        """The same number of days just before this period (None without both ends)."""
        if not (self.compare and self.since and self.until):
            return None
        length = (self.until - self.since).days + 1
        return self.since - timedelta(days=length), self.since - timedelta(days=1)


def local_today() -> date:
    """Today in the business's time zone (what "the last 7 days" end on)."""
    return utcnow().astimezone(business_zone()).date()


def preset_dates(name: str, today: date) -> tuple[date | None, date | None]:
    """Return the dates of a preset as seen on `today` (local): the last N days end today."""
    if name.startswith("last_") and name.endswith("_days"):
        return today - timedelta(days=int(name[5:-5]) - 1), today
    if name == "this_month":
        return today.replace(day=1), today
    if name == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if name == "this_year":
        return today.replace(month=1, day=1), today
    return None, None


def read_period(since_text: str | None, until_text: str | None, today: date, preset: str | None = None,
                compare: str | None = None) -> Period:
    """Read a report's `from`, `to`, `preset` and `compare` parameters; invalid_input naming each wrong field.
    A comparison needs a start date; its end defaults to today."""
    wrong = FieldErrors()
    if preset is not None and preset not in PRESETS:
        wrong.add("preset", f"One of {', '.join(PRESETS)}.")
    if compare is not None and compare not in COMPARISONS:
        wrong.add("compare", "Only compare=previous (the period of the same length just before).")
    if preset is not None and (since_text is not None or until_text is not None):
        wrong.add("preset", "Give a preset or from and to dates, not both.")
    wrong.raise_any()
    if preset is not None:
        since, until = preset_dates(preset, today)
    else:
        since, until = read_range(since_text, until_text)
    if compare is not None:
        if since is None:
            raise ValidationError({"compare": "A comparison needs a period with a start date (from, or a preset "
                                              "other than all_time)."})
        until = until or today
    return Period(since, until, preset, compare is not None)


def read_range(since_text: str | None, until_text: str | None) -> tuple[date | None, date | None]:
    """Read a report's `from` and `to` dates (YYYY-MM-DD, either may be None); invalid_input naming the field."""
    wrong = FieldErrors()
    since = wrong.check(inputs.day, since_text, "from") if since_text is not None else None  # "" is a wrong date
    until = wrong.check(inputs.day, until_text, "to") if until_text is not None else None
    wrong.raise_any()
    if since and until:
        if until < since:
            raise ValidationError({"to": "The end date comes before the start date."})
        if (until - since).days > RANGE_MAX_DAYS:
            raise ValidationError({"to": f"A range of at most {RANGE_MAX_DAYS} days."})
    return since, until
