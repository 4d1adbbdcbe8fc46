"""Contacts: e-mails and phones read one way on every path, the one matcher that finds or creates the
customer behind them, and whether that customer may be sent campaign e-mail (below the audiences, which need it)."""
