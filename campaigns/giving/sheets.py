"""Printable voucher sheets (PDF cut-out cards), the claim-page poster, and the CSV export of codes."""
import io
from datetime import datetime

from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from campaigns.core import words
from campaigns.core.exports import csv_text
from campaigns.giving import codes, qr
from campaigns.models import Campaign, Voucher

PAGE_SIZES = {"a4": A4, "letter": letter}
COLUMNS, ROWS = 2, 4
CARD_W, CARD_H = 90 * mm, 62 * mm
INK, MUTED = (0.11, 0.15, 0.19), (0.36, 0.4, 0.45)
BRAND = (0.06, 0.46, 0.43)


def draw_qr(pdf: canvas.Canvas, data: str, x: float, y: float, size: float, fixed_mask: bool = False) -> None:
    """Draw a QR code with its bottom-left corner at (x, y), one rectangle per run of dark modules."""
    modules = qr.matrix(data, fixed_mask)
    module = size / len(modules)
    top = y + size
    path = pdf.beginPath()
    for row, col, length in qr.dark_runs(modules):
        path.rect(x + col * module, top - (row + 1) * module, length * module, module)
    pdf.setFillColorRGB(0, 0, 0)
    pdf.drawPath(path, stroke=0, fill=1)


def _wrap(text: str, font: str, size: float, width: float, lines: int) -> list[str]:
    words, out, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if stringWidth(candidate, font, size) <= width:
            line = candidate
        else:
            out.append(line)
            line = word
        if len(out) == lines:
            break
    if line and len(out) < lines:
        out.append(line)
    if len(out) == lines and " ".join(out) != " ".join(words):
        out[-1] = out[-1].rstrip(".,") + "…"
    return out


def _card(pdf, campaign: Campaign, code: str, url: str, x: float, y: float, expiry: str, business: str,
          language: str) -> None:
    pdf.setDash(3, 3)
    pdf.setStrokeColorRGB(0.7, 0.7, 0.7)
    pdf.rect(x, y, CARD_W, CARD_H, stroke=1, fill=0)
    pdf.setDash()
    pad = 5 * mm
    qr_size = 36 * mm
    draw_qr(pdf, url, x + pad - 2 * mm, y + CARD_H - pad - qr_size + 2 * mm, qr_size, fixed_mask=True)
    text_x = x + pad + qr_size
    width = CARD_W - (text_x - x) - pad
    pdf.setFillColorRGB(*BRAND)
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(text_x, y + CARD_H - pad - 6, business.upper()[:40])
    pdf.setFillColorRGB(*INK)
    line_y = y + CARD_H - pad - 20
    for line in _wrap(offer_text(campaign, language), "Helvetica-Bold", 12, width, 4):  # never the internal name
        pdf.setFont("Helvetica-Bold", 12)
        pdf.drawString(text_x, line_y, line)
        line_y -= 14
    # The footer (expiry and how to use it) at a readable size on up to two lines, the code above it.
    footer = _wrap(f"{expiry} · " + words.translate(language, "Show or scan at the counter"), "Helvetica", 7.5,
                   CARD_W - 2 * pad, 2)
    pdf.setFont("Courier-Bold", 15)
    pdf.drawString(x + pad, y + pad + 9 * len(footer) + 1, codes.format_code(code))
    pdf.setFillColorRGB(*MUTED)
    pdf.setFont("Helvetica", 7.5)
    for row, line in enumerate(reversed(footer)):
        pdf.drawString(x + pad, y + pad + 9 * row, line)


def offer_text(campaign: Campaign, language: str = words.SOURCE) -> str:
    """What a customer is offered, as print shows it: the campaign's offer, never its internal name."""
    return " ".join((campaign.offer or "").split()) or words.translate(language, "A free gift")


def expiry_text(campaign: Campaign, language: str = words.SOURCE, locale: str | None = None) -> str:
    """Until when a campaign's vouchers are good, in `language` (dates the business locale's way)."""
    if campaign.ends_on is None:
        return words.translate(language, "No expiry date")
    return words.translate(language, "Valid until %(day)s", day=words.day_text(words.date_locale(language, locale),
                                                                                campaign.ends_on))


def voucher_sheet(campaign: Campaign, vouchers: list[Voucher], url_for_code, page: str = "a4",
                  expiry: str = "No expiry date", business: str = "", language: str = words.SOURCE) -> bytes:
    """Return a PDF of cut-out voucher cards, eight a page, each with QR, code, offer and expiry, in `language`."""
    width, height = PAGE_SIZES[page]
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"{campaign.name}: vouchers")
    left = (width - COLUMNS * CARD_W) / 2
    bottom = (height - ROWS * CARD_H) / 2
    per_page = COLUMNS * ROWS
    for index, voucher in enumerate(vouchers):
        slot = index % per_page
        if index and slot == 0:
            pdf.showPage()
        column, row = slot % COLUMNS, slot // COLUMNS
        _card(pdf, campaign, voucher.code, url_for_code(voucher.code), left + column * CARD_W,
              bottom + (ROWS - 1 - row) * CARD_H, expiry, business, language)
    if not vouchers:
        pdf.drawString(left, height / 2, words.translate(language, "This batch has no vouchers."))
    pdf.save()
    return out.getvalue()


def claim_poster(campaign: Campaign, claim_url: str, page: str = "a4", expiry: str = "", business: str = "",
                 language: str = words.SOURCE) -> bytes:
    """Return a one-page PDF poster with the claim page's QR code, in `language`."""
    width, height = PAGE_SIZES[page]
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(width, height))
    pdf.setTitle(f"{campaign.name}: poster")
    pdf.setFillColorRGB(*BRAND)
    pdf.rect(0, height - 60 * mm, width, 60 * mm, stroke=0, fill=1)
    pdf.setFillColorRGB(1, 1, 1)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawCentredString(width / 2, height - 22 * mm, (business or "").upper())
    pdf.setFont("Helvetica-Bold", 30)
    lines = _wrap(offer_text(campaign, language), "Helvetica-Bold", 30, width - 30 * mm, 2)
    for i, line in enumerate(lines):
        pdf.drawCentredString(width / 2, height - 38 * mm - i * 34, line)
    pdf.setFillColorRGB(*INK)
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawCentredString(width / 2, height - 80 * mm, words.translate(language, "Scan to get yours, free"))
    size = 110 * mm
    draw_qr(pdf, claim_url, (width - size) / 2, height - 85 * mm - size - 8 * mm, size)
    pdf.setFont("Helvetica", 12)
    pdf.setFillColorRGB(*MUTED)
    pdf.drawCentredString(width / 2, 40 * mm, words.translate(
        language, "Leave your e-mail or phone number and your voucher appears at once."))
    pdf.drawCentredString(width / 2, 32 * mm, claim_url)
    if expiry:
        pdf.drawCentredString(width / 2, 24 * mm, expiry)
    pdf.save()
    return out.getvalue()


def codes_csv(vouchers: list[Voucher], url_for_code, state_of) -> str:
    """Return the CSV export of codes and URLs."""
    return csv_text(["code", "url", "batch", "channel", "state", "issued_at", "redeemed_at"],
                    ([codes.format_code(voucher.code), url_for_code(voucher.code), voucher.batch_label or "",
                      voucher.channel, state_of(voucher), _iso(voucher.issued_at), _iso(voucher.redeemed_at)]
                     for voucher in vouchers))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
