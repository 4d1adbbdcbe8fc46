"""What is given away: campaign designs, vouchers and their codes, QR codes, printed sheets, gift limits and
audiences for holdout tests."""
