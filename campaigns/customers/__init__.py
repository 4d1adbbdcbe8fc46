"""Customers as people see them: find one by whatever they remember, read their whole record, merge two into one."""
