"""The feedback figures of METRICS.md ("Feedback"): the answer count, NPS, and conversion by score band, in SQL;
the answers themselves, newest first and searchable; and the words and phrases that come up most.

Readings (README "Feedback"): an answer counts while its voucher's redemption does, exactly as the report's other
figures count redemptions: live ones (an undone redemption takes its answer out with it), made in the date range
when there is one. An answer's customer is that redemption's customer (personal, or attached at the desk; merged
records are one); an anonymous redemption's answer counts in `feedback_count` and `nps` but in no band's
`customers`. `converted` is the band's customers counted in `converted_customers` for the same range. NPS rounds
half away from zero (12.5 is 13, -12.5 is -13).
"""
import re
import unicodedata
from collections import Counter
from datetime import date
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from campaigns.accounts.business import business_zone
from campaigns.extensions import db
from campaigns.feedback.answers import BANDS
from campaigns.models import Customer, Feedback, Redemption, Voucher
from campaigns.reports.attribution_store import as_found
from campaigns.reports.figures import customers_of, live_redemptions, redemption_sums
from campaigns.reports.stats import half_away

BAND_NAMES = tuple(name for name, _, _ in BANDS)
TERMS_FROM = 5000  # the newest answers the word count reads: enough to be sure, bounded in time
_WORD = re.compile(r"[^\W\d_](?:[^\W_]|['’-](?=[^\W\d_]))*")
STOPWORDS = frozenset(["a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "even", "ever", "few", "for", "from", "further", "get", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "i'm", "if", "in", "into", "is", "it", "it's", "its", "itself", "just", "let", "me", "more", "most", "much", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "really", "same", "she", "should", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself"])


def band_case():
    """The SQL expression naming an answer's band (from BANDS, as band_of does in Python)."""
    return case(*((Feedback.score.between(low, high), literal(name)) for name, low, high in BANDS))


def nps(promoters: int, detractors: int, answers: int) -> int | None:
    """Net Promoter Score: % of answers 9-10 minus % of answers 0-6, whole; None without answers."""
    return half_away(Fraction(100 * (promoters - detractors), answers)) if answers else None


def feedback_figures(campaign_ids=None, since: date | None = None, until: date | None = None, found=None,
                     zone: ZoneInfo | None = None) -> dict:
    """Return {campaign_id: {"feedback_count", "nps", "bands": {band: {"answers", "customers", "converted"}}}}
    for the campaigns that have answers (one statement; the converted customers as figures() counts them)."""
    zone = zone or business_zone()
    found = as_found(found, campaign_ids)
    live = live_redemptions(campaign_ids, since, until, None, zone)
    each = customers_of(redemption_sums(found, None, campaign_ids, since, until, zone))
    converted = select(each.c.campaign_id, each.c.customer_id).where(each.c.net > 0).subquery("converted")
    band = band_case().label("band")
    rows = db.session.execute(
        select(Feedback.campaign_id, band, func.count(), func.count(live.c.customer_id.distinct()),
               func.count(converted.c.customer_id.distinct()))
        .select_from(Feedback).join(live, live.c.voucher_id == Feedback.voucher_id)
        .outerjoin(converted, and_(converted.c.campaign_id == Feedback.campaign_id,
                                   converted.c.customer_id == live.c.customer_id))
        .group_by(Feedback.campaign_id, band))
    out: dict[int, dict] = {}
    for campaign_id, name, answers, customers, bought in rows:
        entry = out.setdefault(campaign_id, empty())
        entry["bands"][name] = {"answers": answers, "customers": customers, "converted": bought}
    for entry in out.values():
        bands = entry["bands"]
        entry["feedback_count"] = sum(bands[name]["answers"] for name in BAND_NAMES)
        entry["nps"] = nps(bands["promoter"]["answers"], bands["detractor"]["answers"], entry["feedback_count"])
    return out


def empty() -> dict:
    """The feedback figures of a campaign without answers."""
    return {"feedback_count": 0, "nps": None,
            "bands": {name: {"answers": 0, "customers": 0, "converted": 0} for name in BAND_NAMES}}


class unicode_lower(FunctionElement):
    """lower() of any letter on both databases (SQLite's own lower() folds ASCII only; see extensions)."""

    inherit_cache = True
    name = "unicode_lower"


@compiles(unicode_lower)
def _lower_default(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _lower_sqlite(element, compiler, **kw):
    return f"unicode_lower({compiler.process(element.clauses, **kw)})"


def counted():
    """The condition that an answer counts: its voucher's redemption is live (not undone)."""
    return Feedback.voucher_id.in_(select(Redemption.voucher_id).where(Redemption.undone_at.is_(None)))


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _listing(campaign_id: int, search: str = "", band: str | None = None):
    query = (select(Feedback, Voucher.code, Voucher.customer_id, Customer.name, Customer.email, band_case())
             .join(Voucher, Voucher.id == Feedback.voucher_id)
             .outerjoin(Customer, Customer.id == Voucher.customer_id)
             .where(Feedback.campaign_id == campaign_id, counted()))
    if band in BAND_NAMES:
        low, high = next((low, high) for name, low, high in BANDS if name == band)
        query = query.where(Feedback.score.between(low, high))
    words = search.split()
    for word in words[:10]:  # every word somewhere in either answer, any case
        pattern = _like(word.lower())
        query = query.where(or_(unicode_lower(Feedback.answer).like(pattern, escape="\\"),
                                unicode_lower(Feedback.answer_2).like(pattern, escape="\\")))
    return query


def answers(campaign_id: int, search: str = "", band: str | None = None, limit: int | None = 25,
            offset: int = 0) -> tuple[list, int]:
    """Return (rows, total) of a campaign's answers, newest first, containing every word of `search` (any case)
    and in `band` when given; each row is (feedback, code, customer_id, name, email, band)."""
    query = _listing(campaign_id, search, band)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(Feedback.created_at.desc(), Feedback.id.desc()).offset(offset)
    return db.session.execute(ordered.limit(limit) if limit else ordered).all(), total


def words_of(text: str) -> list[str]:
    """The words of an answer, folded to lower case (NFKC), with apostrophes and hyphens inside words kept."""
    return [word.replace("’", "'") for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold())]


def top_terms(campaign_id: int, limit: int = 12) -> dict:
    """The words and two- and three-word phrases that come up most in a campaign's newest answers, each counted
    once per answer in which it appears, stop words left out (phrases may hold them inside, not at an end).
    Returns {"words": [(term, answers)], "phrases": [(term, answers)], "read": answers read}."""
    texts = db.session.execute(select(Feedback.answer, Feedback.answer_2).where(Feedback.campaign_id == campaign_id,
                                                                                counted())
                               .order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(TERMS_FROM)).all()
    words, phrases = Counter(), Counter()
    for first, second in texts:
        seen_words, seen_phrases = set(), set()
        for text in (first, second):
            tokens = words_of(text)
            seen_words.update(token for token in tokens if token not in STOPWORDS and len(token) > 1)
            for size in (2, 3):
                for start in range(len(tokens) - size + 1):
                    gram = tokens[start:start + size]
                    if gram[0] not in STOPWORDS and gram[-1] not in STOPWORDS:
                        seen_phrases.add(" ".join(gram))
        words.update(seen_words)
        phrases.update(seen_phrases)
    common = lambda counter: sorted(((term, n) for term, n in counter.items() if n >= 2),
                                    key=lambda item: (-item[1], item[0]))[:limit]
    return {"words": common(words), "phrases": common(phrases), "read": len(texts)}


def score_counts(campaign_id: int) -> list[int]:
    """How many answers gave each score, 0 to 10."""
    counts = dict(db.session.execute(select(Feedback.score, func.count()).where(Feedback.campaign_id == campaign_id,
                                                                                counted())
                                     .group_by(Feedback.score)).all())
    return [counts.get(score, 0) for score in range(11)]
