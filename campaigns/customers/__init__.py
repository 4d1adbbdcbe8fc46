"""Customers: their contacts read one way everywhere, one matcher, their records, and merging two into one."""
