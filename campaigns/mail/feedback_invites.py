"""The e-mails asking free customers for feedback: a periodic task of the job queue (and
`flask --app app send-feedback-invites`) queues a delivery for each invite that is due."""
from datetime import datetime

from campaigns.feedback import invites as feedback_invites
from campaigns.links import voucher_url
from campaigns.mail.deliveries import queue_letter
from campaigns.mail.sending import Letter


def feedback_letter(invite: feedback_invites.Invite, business: str) -> Letter:
    """Write the e-mail that asks a customer what they thought, with the link to their voucher's feedback form."""
    offer = invite.offer or "your free offer"
    body = (f"Hello,\n\nThank you for visiting {business}. How was {offer}?\n\n"
            f"A few quick questions, under a minute, no account needed:\n{voucher_url(invite.code)}\n\n"
            f"{invite.question}\n\nYou can change your answer for a day after you send it.\n\n{business}\n")
    subject = " ".join(f"How was {offer}? A quick question from {business}".split())  # one line
    return Letter(invite.email, subject[:200], body)


def queue_feedback_invites(business: str, now: datetime | None = None) -> int:
    """Claim the invites that are due and queue a delivery for each (sent after the caller commits); return how
    many. Each invite is claimed once in the database, so any number of runs at once queue it once; its retries
    are its delivery's."""
    invites = feedback_invites.claim_due(now)
    for invite in invites:
        queue_letter(feedback_letter(invite, business), "feedback_invite", voucher_id=invite.voucher_id, now=now)
        feedback_invites.sent(invite.invite_id, now)
    return len(invites)
