"""The e-mails asking free customers for feedback: a periodic task of the job queue (and
`flask --app app send-feedback-invites`) queues a delivery for each invite that is due."""
from datetime import datetime

from campaigns.core import words
from campaigns.core.words import N_
from campaigns.feedback import invites as feedback_invites
from campaigns.giving.designs import DEFAULT_QUESTIONS
from campaigns.links import voucher_url
from campaigns.mail.deliveries import queue_letter
from campaigns.mail.sending import Letter

FEEDBACK_LETTER = N_("Hello,\n\nThank you for visiting %(business)s. How was %(offer)s?\n\n"
                      "A few quick questions, under a minute, no account needed:\n%(voucher_url)s\n\n"
                      "%(question)s\n\nYou can change your answer for a day after you send it.\n\n%(business)s\n")


def feedback_letter(invite: feedback_invites.Invite, business: str, language: str = words.SOURCE) -> Letter:
    """Write the e-mail that asks a customer what they thought, in `language`, with the link to their voucher's
    feedback form."""
    offer = invite.offer or words.translate(language, "your free offer")
    question = words.translate(language, invite.question) if invite.question in DEFAULT_QUESTIONS else invite.question
    body = words.translate(
        language, FEEDBACK_LETTER, business=business, offer=offer, voucher_url=voucher_url(invite.code),
        question=question)
    subject = " ".join(words.translate(language, "How was %(offer)s? A quick question from %(business)s",
                                       offer=offer, business=business).split())  # one line
    return Letter(invite.email, subject[:200], body)


def queue_feedback_invites(business: str, now: datetime | None = None, language: str = words.SOURCE) -> int:
    """Claim the invites that are due and queue a delivery (in `language`) for each (sent after the caller
    commits); return how many. Each invite is claimed once in the database, so any number of runs at once queue it
    once; its retries are its delivery's."""
    invites = feedback_invites.claim_due(now)
    for invite in invites:
        queue_letter(feedback_letter(invite, business, language), "feedback_invite", voucher_id=invite.voucher_id,
                     now=now)
        feedback_invites.sent(invite.invite_id, now)
    return len(invites)
