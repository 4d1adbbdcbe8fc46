"""Every figure of METRICS.md, computed in SQL: counts of vouchers, spend and budget, the desk's day.

Each module holds one family of figures; pages, the API and CSV exports all read them from here.
"""
