"""Every QR we make decodes back to its URL with a real decoder (zxing-cpp), on screen and on paper."""
import csv
import io
import re

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from campaigns.giving import codes, qr, sheets
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch, vouchers_of
from campaigns.links import voucher_url
from tests.conftest import log_in
from tests.designs import design


def _decode(image: Image.Image) -> list[str]:
    return sorted(result.text for result in zxingcpp.read_barcodes(image.convert("L"))
                  if result.format == zxingcpp.BarcodeFormat.QRCode)


def _rasterise_svg(svg: str, scale: int = 8) -> Image.Image:
    """Draw our one-path SVG (rectangles of runs) with PIL, so the SVG itself is what gets decoded."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path):
        x, y, n = int(x), int(y), int(n)
        draw.rectangle([x * scale, y * scale, (x + n) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


@pytest.mark.parametrize("fixed_mask", [False, True])
def test_png_and_svg_decode_to_the_voucher_url(fixed_mask):
    for _ in range(20):
        url = f"https://vouchers.example.com/v/{codes.generate()}"
        png = Image.open(io.BytesIO(qr.png(url))) if not fixed_mask else None
        if png is not None:
            assert _decode(png) == [url]
        assert _decode(_rasterise_svg(qr.svg(url))) == [url]
        modules = qr.matrix(url, fixed_mask)
        assert len(modules) == len(modules[0]) and not any(modules[0])  # square, with a quiet zone


def test_every_card_of_a_printed_sheet_scans(ctx):
    campaign = campaigns.create_campaign(design({"name": "Free latte for new neighbours", "unit_cost": "0.85",
                                         "offer": "One free latte, any size", "ends_on": "2026-12-31"}))
    issue_batch(campaign, 20, "flyer A")
    cards = vouchers_of(campaign.id)
    for page_size in ("a4", "letter"):
        pdf = pypdfium2.PdfDocument(sheets.voucher_sheet(campaign, cards, voucher_url, page_size,
                                                         "Valid until 31 Dec 2026", "Corner Bean Café"))
        assert len(pdf) == 3  # eight cards a page
        found = []
        for page in pdf:
            found += _decode(page.render(scale=200 / 72).to_pil())
            text = page.get_textpage().get_text_range()
            assert "One free latte" in text and "Valid until 31 Dec 2026" in text
        assert sorted(found) == sorted(voucher_url(v.code) for v in cards)
        first_page_text = pdf[0].get_textpage().get_text_range()
        assert codes.format_code(cards[0].code) in first_page_text


def test_a_long_footer_stays_inside_its_card(ctx):
    campaign = campaigns.create_campaign(design({"name": "Cards", "unit_cost": "1", "offer": "One free latte"}))
    issue_batch(campaign, 2, "flyer")
    expiry = "Valid until 31 December 2026 · One per customer · Not with other offers · Main St and Harbour kiosk"
    page = pypdfium2.PdfDocument(sheets.voucher_sheet(campaign, vouchers_of(campaign.id), voucher_url, "a4",
                                                      expiry, "Corner Bean"))[0]
    width = page.get_width()
    left = (width - sheets.COLUMNS * sheets.CARD_W) / 2
    text = page.get_textpage()
    for index in range(text.count_chars()):
        char_left, _, char_right, _ = text.get_charbox(index)
        if char_right > char_left:  # a drawn character, not a space or line break
            column = min(int((char_left - left) // sheets.CARD_W), sheets.COLUMNS - 1)
            assert left + column * sheets.CARD_W < char_left and char_right < left + (column + 1) * sheets.CARD_W


def test_claim_poster_scans_to_the_claim_page(ctx):
    campaign = campaigns.create_campaign(design({"name": "Tasting class", "unit_cost": "6", "claim_page": True}))
    url = f"http://127.0.0.1:5000/claim/{campaign.claim_slug}"
    pdf = pypdfium2.PdfDocument(sheets.claim_poster(campaign, url, "letter", "", "Corner Bean"))
    assert _decode(pdf[0].render(scale=150 / 72).to_pil()) == [url]


def test_marketer_downloads_pdf_csv_and_poster(client, app, make_user, make_campaign):
    campaign_id = make_campaign(claim_page=True)
    with app.app_context():
        from campaigns.extensions import db
        from campaigns.models import Campaign

        issue_batch(db.session.get(Campaign, campaign_id), 9, "market stall")
        db.session.commit()
    log_in(client, make_user("marketer"))
    pdf = client.get(f"/campaigns/{campaign_id}/vouchers.pdf?batch=market+stall&page=letter")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert len(pypdfium2.PdfDocument(pdf.data)) == 2
    exported = client.get(f"/campaigns/{campaign_id}/vouchers.csv?batch=market+stall")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert len(rows) == 9 and rows[0]["url"] == f"http://testserver/v/{codes.normalise(rows[0]['code'])}"
    assert {row["batch"] for row in rows} == {"market stall"} and {row["state"] for row in rows} == {"draft"}
    poster = client.get(f"/campaigns/{campaign_id}/poster.pdf")
    assert poster.status_code == 200 and poster.data.startswith(b"%PDF")
    assert client.get(f"/campaigns/{campaign_id}/vouchers.pdf?page=tabloid").status_code == 404
