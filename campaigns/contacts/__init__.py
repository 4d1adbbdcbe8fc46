"""Contacts: e-mails and phones read one way on every path, and the one matcher that finds or creates the
customer behind them."""
