"""Feedback from free customers: the answer given on a redeemed voucher's page, one per voucher, changeable for a
day and final after that.

The voucher's code is the only key: it holds 60 random bits, so the page cannot be found by guessing, and it shows
only that voucher's own answer. No account is needed.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from campaigns.core import inputs
from campaigns.core.errors import DomainError, FieldErrors
from campaigns.extensions import db
from campaigns.giving.vouchers import find_voucher
from campaigns.jobs import webhooks
from campaigns.models import Feedback, Voucher, utcnow

CHANGE_FOR = timedelta(days=1)  # an answer can be changed this long after it was first given, then it is final
ANSWER_MAX = 2000  # characters in one open answer: a few paragraphs, never a pasted book
BANDS = (("detractor", 0, 6), ("passive", 7, 8), ("promoter", 9, 10))  # METRICS.md "Feedback"


class FeedbackError(DomainError):
    """An answer that cannot be taken: the voucher is not redeemed, it was answered already, or it is final."""


@dataclass(frozen=True)
class Answer:
    """What a customer says: the 0-10 score and the answers to the campaign's one or two open questions."""

    score: int
    answer: str = ""
    answer_2: str = ""


def band_of(score: int) -> str:
    """Return the METRICS.md band of a 0-10 score: detractor, passive or promoter."""
    return next(name for name, low, high in BANDS if low <= score <= high)


def read_answer(score, answer, answer_2) -> Answer:
    """Read a typed answer (the score as text or a whole number, the open answers as text; missing ones empty),
    naming every field that is wrong: no score, a score outside 0-10, text too long or holding control
    characters, NUL or lone surrogates."""
    wrong = FieldErrors()
    if score is None or (isinstance(score, str) and not score.strip()):
        wrong.add("score", "Choose a number from 0 to 10.")
        value = None
    else:
        value = wrong.check(inputs.whole, score.strip() if isinstance(score, str) else score, "score", 0, 10)
    texts = [wrong.check(inputs.text, "" if typed is None else typed, field, ANSWER_MAX, multiline=True)
             for field, typed in (("answer", answer), ("answer_2", answer_2))]
    wrong.raise_any()
    return Answer(value, texts[0], texts[1])


def answerable(voucher: Voucher) -> bool:
    """Whether a voucher's page asks for feedback: it is redeemed (and the redemption not undone) and not void."""
    return voucher.redeemed_at is not None and voucher.void_at is None


def feedback_of(voucher_id: int) -> Feedback | None:
    """Return the answer given for a voucher as it stands now (re-read, even if this session holds it), or None."""
    return db.session.scalar(select(Feedback).where(Feedback.voucher_id == voucher_id)
                             .execution_options(populate_existing=True))


def final_at(feedback: Feedback) -> datetime:
    """When an answer stops being changeable."""
    return feedback.created_at + CHANGE_FOR


def changeable(feedback: Feedback, now: datetime | None = None) -> bool:
    """Whether an answer can still be changed."""
    return (now or utcnow()) < final_at(feedback)


def give(code_text: str, answer: Answer, version: int | None = None, now: datetime | None = None) -> Feedback:
    """Store the answer for a redeemed voucher, or change it.

    `version` None gives the first answer: refused (409 `already_answered`) when one exists, which the unique
    voucher enforces however many arrive at once. A number changes the answer of that version, within a day of the
    first answer (409 `feedback_final` after); a form opened before another change is refused (`already_answered`)
    rather than overwriting what it never showed.
    """
    now = now or utcnow()
    voucher = find_voucher(code_text)
    if not answerable(voucher):
        raise FeedbackError("not_redeemed", "Feedback opens once the voucher has been redeemed.")
    if version is None:
        return _first(voucher, answer, now)
    changed = db.session.execute(
        update(Feedback).where(Feedback.voucher_id == voucher.id, Feedback.version == version,
                               Feedback.created_at > now - CHANGE_FOR)
        .values(score=answer.score, answer=answer.answer, answer_2=answer.answer_2, updated_at=now,
                version=Feedback.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    stored = feedback_of(voucher.id)
    if stored is not None:
        db.session.refresh(stored)
    if changed == 1:
        return _announced(stored, voucher)
    if stored is None:
        raise FeedbackError("not_answered", "There is no answer to change yet.")
    if not changeable(stored, now):
        raise FeedbackError("feedback_final", "This answer was given more than a day ago and is final.",
                            {"final_at": final_at(stored).isoformat()})
    raise _already(stored)


def _first(voucher: Voucher, answer: Answer, now: datetime) -> Feedback:
    feedback = Feedback(voucher_id=voucher.id, campaign_id=voucher.campaign_id, score=answer.score,
                        answer=answer.answer, answer_2=answer.answer_2, created_at=now, updated_at=now, version=1)
    try:
        with db.session.begin_nested():
            db.session.add(feedback)
    except IntegrityError:
        stored = feedback_of(voucher.id)
        if stored is None:  # not the unique voucher after all: let the caller see the real failure
            raise
        raise _already(stored) from None
    return _announced(feedback, voucher)


def _announced(feedback: Feedback, voucher: Voucher) -> Feedback:
    """Tell the webhooks that asked (feedback.answered), first answers and changes alike."""
    webhooks.emit("feedback.answered", {
        "campaign_id": feedback.campaign_id, "voucher_code": voucher.code, "customer_id": voucher.customer_id,
        "score": feedback.score, "answer": feedback.answer, "answer_2": feedback.answer_2,
        "version": feedback.version, "answered_at": feedback.updated_at.isoformat()})
    return feedback


def _already(stored: Feedback) -> FeedbackError:
    return FeedbackError("already_answered", "This voucher has an answer already; it is shown as it stands now.",
                         {"version": stored.version})
