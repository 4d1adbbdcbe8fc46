"""One SMTP connection that hands messages over with a last look before each is final.

A message is final for the server only when it reads the line "." that ends it. `Outbox.deliver` sends everything
before that line, then asks `hand_over()` (the caller's conditional UPDATE, committed) whether the message is still
this sender's to send; only on yes does it send the last line. So a sender that dies, or is superseded (its claim
was taken back and given to another sender, or its send was cancelled), before that moment has sent nothing, and
the message can be sent again safely; after it, the message may have gone out and is never sent again.
The connection is kept for the next message (a campaign send reuses one for all its members)."""
import re
import smtplib
import socket
import ssl
from collections.abc import Callable

from flask_mailman import EmailMessage
from flask_mailman.message import sanitize_address

CRLF = b"\r\n"


class SendFailure(Exception):
    """The mail server refused or could not be reached; the message is its answer, as it gave it."""


class Unreachable(SendFailure):
    """The server could not be reached or the connection broke before the message was handed over."""


class InDoubt(SendFailure):
    """The connection broke after the server had the whole message: it may have gone out, so it is never sent again."""


class Superseded(Exception):
    """The message was no longer this sender's to send at the hand-over; nothing of it was delivered."""


class Outbox:
    """A lazily opened SMTP connection to `server` (campaigns.mail.sending.Server); close() when done."""

    def __init__(self, server):
        self.server = server
        self._smtp: smtplib.SMTP | None = None

    def deliver(self, message: EmailMessage, hand_over: Callable[[], bool]) -> None:
        """Send `message`, asking `hand_over()` just before its last line; raise Superseded when it says no, and
        SendFailure with the server's answer when the server refuses or cannot be reached."""
        try:
            self._deliver(message, hand_over)
        except Superseded:
            self.close(polite=False)  # the connection ends without the last line: the server drops the message
            raise
        except smtplib.SMTPRecipientsRefused as error:
            self._reset()
            raise SendFailure("; ".join(f"{to}: {_answer(*answer)}" for to, answer in error.recipients.items())) \
                from None
        except smtplib.SMTPResponseException as error:
            self._reset()
            raise SendFailure(_answer(error.smtp_code, error.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as error:
            self.close(polite=False)
            raise Unreachable(f"Could not talk to {self.server.host}:{self.server.port}: "
                              f"{error or error.__class__.__name__}") from None
        except BaseException:  # anything else (a database error in hand_over, a bad address): the message is
            self.close(polite=False)  # left unfinished, so the server drops it; never a QUIT inside its body
            raise

    def _deliver(self, message: EmailMessage, hand_over: Callable[[], bool]) -> None:
        smtp = self._open()
        encoding = message.encoding or "utf-8"
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(address, encoding) for address in message.recipients()]
        code, answer = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        refused = {}
        for recipient in recipients:
            code, answer = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, answer)
        if len(refused) == len(recipients):
            raise smtplib.SMTPRecipientsRefused(refused)
        code, answer = smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, answer)
        body = re.sub(rb"(?m)^\.", b"..", message.message().as_bytes(linesep="\r\n"))
        smtp.send(body if body.endswith(CRLF) else body + CRLF)
        if not hand_over():
            raise Superseded()
        try:
            smtp.send(b"." + CRLF)
            code, answer = smtp.getreply()
        except Exception as error:  # broken, or an answer we cannot read: the server may have taken it
            self.close(polite=False)
            raise InDoubt(f"The connection to {self.server.host}:{self.server.port} broke as the server took the "
                          f"message ({error or error.__class__.__name__}); it may have gone out, so it is not sent "
                          f"again.") from None
        if code != 250:
            raise smtplib.SMTPDataError(code, answer)

    def _open(self) -> smtplib.SMTP:
        """The connection, opened (and logged in) if need be; a refusal to connect or log in is Unreachable: no
        message can go until the server or the settings change."""
        if self._smtp is not None:
            return self._smtp
        try:
            return self._connect()
        except smtplib.SMTPResponseException as error:
            raise Unreachable(f"{self.server.host}:{self.server.port} refused us: "
                              f"{_answer(error.smtp_code, error.smtp_error)}") from None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        try:
            # Each command is one small write awaiting its answer: without this, Nagle's algorithm holds the
            # message's last line back until the server acknowledges the body (tens of ms a message).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo_or_helo_if_needed()
            if server.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if server.username:
                smtp.login(server.username, server.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _reset(self) -> None:
        """After a refusal the connection can serve the next message once the server forgets this one."""
        try:
            if self._smtp is not None and self._smtp.rset()[0] == 250:
                return
        except (OSError, smtplib.SMTPException):
            pass
        self.close()

    def close(self, polite: bool = True) -> None:
        """End the connection: with QUIT when `polite` (between messages), else by dropping it (mid-message,
        where the server would read QUIT as a line of the message)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if polite:
                smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        smtp.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _answer(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}".strip()
