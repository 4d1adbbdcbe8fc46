"""Unreturned gifts (METRICS.md): counting them, the freebie-only customers, and a campaign's limit on them."""
