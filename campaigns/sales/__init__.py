"""Sales: the one writer of purchases and refunds (desk, API, imports), their corrections and list, and
point-of-sale files."""
