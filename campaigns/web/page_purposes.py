"""One line for every staff page that says what it is for, shown under the page's title by templates/base.html.

Keyed by endpoint, so a page needs nothing in its own template; tests/test_page_purposes.py fails for a staff page
added without its line (or named in WITHOUT_LINE).
"""
from flask import Flask, request
from markupsafe import Markup, escape

PURPOSES = {
    # Reports
    "dashboard.index": "Did the free samples come back as paying customers, and did they pay for themselves?",
    "dashboard.campaign": "One campaign from voucher to loyal customer: who redeemed, who came back to buy, and "
                          "whether it paid for itself.",
    "dashboard.freebie_only": "Known customers who took the free sample and have bought nothing since: people to win "
                              "back, or a sign the gift draws the wrong crowd.",
    "feedback.answers": "What customers said after their free sample, and whether the happy ones came back to buy.",
    # Campaigns
    "marketing.campaigns": "Every giveaway: design one, make and print its vouchers, and start, pause or end it.",
    "marketing.new": "Design a giveaway: the offer, what it costs you, its dates and limits, and the budget it commits.",
    "marketing.edit": "Change a campaign's offer, costs, dates, limits and feedback questions.",
    "marketing.detail": "One campaign: its vouchers and batches to print, its claim link and poster, and its status.",
    "marketing.delete_confirm": "Check what would go with this draft before you delete it for good.",
    "audience.show": "Who this campaign is sent to, drawn at random into a group that gets it and a group held out "
                     "for comparison.",
    "audience.pick": "Choose customers already on file for this campaign's audience, by what they did and bought.",
    "sends.show": "Send each person drawn into the audience their own voucher by e-mail, and follow each send.",
    # Sales and customers
    "purchases.index": "Every sale the till or the API sent, with the voucher and customer it was linked to.",
    "imports.index": "Bring your till's sales in from a CSV file, so the reports can tell who came back to buy.",
    "imports.show": "One imported file: how its columns are read, and how far its rows have gone in.",
    "customers.index": "Everyone the app knows by e-mail or phone: from claim pages, the front desk, lists and imports.",
    "customers.show": "One customer: how to reach them, and their vouchers, redemptions and purchases, newest first.",
    "customers.merge_pick": "Find another record of the same person, to merge it into this one.",
    "customers.merge_confirm": "Check what moves where before two records of one person become one.",
    # The front desk
    "desk.index": "Scan or type a customer's voucher code: the answer says at once whether to give the free item.",
    "desk.voucher": "One voucher as the desk sees it: redeem it, attach its customer, undo it or record a sale.",
    # Settings
    "settings.index": "Your business's name, currency, number format, time zone, margin and phone region: what every "
                      "page and new campaign starts from.",
    "settings.locations": "The places where vouchers are redeemed, so the reports can compare them.",
    "settings.location": "Rename or move this location, or stop offering it at the front desk.",
    "settings.users": "Who may sign in, and what each role may see and do.",
    "settings.user": "Change this person's name, role or password, or stop them signing in.",
    "settings.api_tokens": "Keys that let your till or other tools send sales and redeem vouchers through the API.",
    "settings.customer_page": "What customers see of your business on their voucher and claim pages: address, "
                              "hours, logo, and the language they read.",
    "email_settings.email": "The mail server that sends vouchers and feedback e-mails in your business's name.",
    "email_settings.deliveries": "Every e-mail the app sent or failed to send, and why.",
    "webhook_settings.index": "Webhooks tell your other tools (a newsletter tool, a spreadsheet, automation) the moment "
                              "something happens here.",
    "webhook_settings.show": "Every event sent to this address, newest first, with what the receiver answered.",
    "exports.index": "Download any table as a spreadsheet that opens right in Excel, LibreOffice or Numbers.",
    "audit_log.index": "Every attempt that mattered, who made it and when: redemptions and refusals, and changes to "
                       "campaigns, users and settings.",
    "auth.account": "Who you are signed in as, and your password.",
}

# Pages a form's POST answers with (a refused import, a list read for an audience) rather than a redirect.
ANSWERS = {
    "imports.mapping": PURPOSES["imports.show"],
    "audience.from_list": "Check how a list of people was read before they are drawn into this campaign's audience.",
}

# Staff GET endpoints without the line: no page of their own (a redirect, data for a page's script), or a customer's
# page shown to staff exactly as the customer sees it.
WITHOUT_LINE = {
    "auth.home": "sends each role to the page it uses most",
    "desk.lookup": "sends a typed code to its voucher's page",
    "desk.today": "today's counts, as JSON for the desk",
    "desk_offline.offline_list": "the valid vouchers, as JSON for a desk going offline",
    "feedback.preview": "a customer's voucher page after redeeming, under a banner that says it is a preview",
}


def page_purpose() -> str | None:
    """Return the line that says what the current page is for, or None (a customer's page, an unknown page)."""
    return PURPOSES.get(request.endpoint or "") or ANSWERS.get(request.endpoint or "")


def under_title(body: Markup, sentence: str | None) -> Markup:
    """Put a page's purpose line right after its first heading's end (at the top when it has none)."""
    if not sentence:
        return body
    line = Markup('<p class="page-purpose">{}</p>').format(escape(sentence))
    head, found, rest = str(body).partition("</h1>")
    return Markup(head + found + str(line) + rest) if found else line + body


def init_app(app: Flask) -> None:
    """Let templates read the current page's purpose and place it under the title."""
    app.add_template_global(page_purpose)
    app.add_template_filter(under_title)
