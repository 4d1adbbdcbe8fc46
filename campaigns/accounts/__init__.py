"""Users and who they are: accounts with roles, API tokens, and the business's own settings and locations."""
