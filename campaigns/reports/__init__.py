"""Every figure of METRICS.md, computed in SQL, for the pages, the API and the CSV files alike: one source of each."""
