"""Feedback from free customers: the answers on a redeemed voucher's page and the e-mails that ask for them."""
