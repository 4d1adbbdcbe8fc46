"""The owner's outgoing mail server (Settings → E-mail): what is stored, what is used, and a test send.

Each field left empty falls back to the MAIL_* configuration (README, "Configuration"). The password is stored
to be used, and never shown back: an empty password field keeps the stored one."""
from email.utils import formataddr, parseaddr

from campaigns.core import audit, inputs
from campaigns.core.addresses import normalise_email
from campaigns.core.errors import FieldErrors
from campaigns.extensions import db
from campaigns.mail.deliveries import queue_letter
from campaigns.mail.sending import SMTP_TIMEOUT, Letter, Server
from campaigns.models import Delivery, MailServer, utcnow


def stored() -> MailServer:
    """Return the stored mail server settings (an empty row when none were saved)."""
    return db.session.get(MailServer, 1) or MailServer(id=1)


def server(defaults: dict, business_name: str) -> Server:
    """Return the server to send through: each stored value, else the MAIL_* configuration in `defaults`."""
    row = stored()
    configured_name, configured_address = parseaddr(defaults.get("MAIL_DEFAULT_SENDER") or "")
    address = row.sender_address or configured_address or "vouchers@reciprocate.local"
    return Server(host=row.host or defaults.get("MAIL_SERVER") or "127.0.0.1",
                  port=row.port or int(defaults.get("MAIL_PORT") or 25),
                  use_tls=row.use_tls if row.use_tls is not None else bool(defaults.get("MAIL_USE_TLS")),
                  username=row.username or defaults.get("MAIL_USERNAME"),
                  password=row.password or defaults.get("MAIL_PASSWORD"),
                  sender=formataddr((row.sender_name or configured_name or business_name, address)),
                  timeout=int(defaults.get("MAIL_TIMEOUT") or SMTP_TIMEOUT))


def update_server(host: str, port, use_tls: bool, username: str, password: str, sender_name: str,
                  sender_address: str, forget_password: bool = False, by_user_id: int | None = None) -> MailServer:
    """Check and store the mail server settings (empty: use the configuration's); raise ValidationError. What
    changed is audited as done by `by_user_id`, the password only as "changed", never its value."""
    errors = FieldErrors()
    host = errors.check(inputs.text, host or "", "host", 253)
    if host and (" " in host or "/" in host):
        errors.add("host", "A host name or address, such as smtp.example.com.")
    port = errors.check(inputs.whole, port, "port", 1, 65535) if port not in (None, "") else None
    username = errors.check(inputs.text, username or "", "username", 254)
    password = errors.check(inputs.text, password or "", "password", 254)
    sender_name = errors.check(inputs.text, sender_name or "", "sender_name", 120)
    sender_address = (errors.check(normalise_email, sender_address, "sender_address")
                      if (sender_address or "").strip() else "")
    errors.raise_any()
    row = stored()
    before = _readings(row)
    row.host, row.port, row.use_tls = host or None, port, bool(use_tls)
    row.username, row.sender_name, row.sender_address = username or None, sender_name or None, sender_address or None
    if forget_password:
        row.password = None
    elif password:
        row.password = password
    row.updated_at = utcnow()
    db.session.add(row)
    db.session.flush()
    changed = audit.changes(before, _readings(row), secret=frozenset({"password"}))
    if changed:
        audit.record("email_settings", "changed", user_id=by_user_id, subject=("mail_server", 1),
                     details={"changes": changed})
    return row


def _readings(row: MailServer) -> dict:
    return {"host": row.host, "port": row.port, "use_tls": row.use_tls, "username": row.username,
            "password": row.password, "sender_name": row.sender_name, "sender_address": row.sender_address}


def queue_test(to: str, business_name: str) -> Delivery:
    """Queue a test e-mail to `to` through the job queue, like every other e-mail; raise ValidationError."""
    address = normalise_email(to, "to")
    body = (f"Hello,\n\nThis is a test e-mail from {business_name}'s Reciprocate. It went through the job queue "
            f"and the mail server in Settings, as every voucher and invite does.\n\nNothing else to do.\n")
    return queue_letter(Letter(address, f"Test e-mail from {business_name}"[:200], body), "test")


def recent_tests(limit: int = 5) -> list[Delivery]:
    """Return the latest test sends, newest first."""
    return list(db.session.scalars(db.select(Delivery).where(Delivery.kind == "test")
                                   .order_by(Delivery.id.desc()).limit(limit)))
