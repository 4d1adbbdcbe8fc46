"""The front desk's business: redeeming a voucher under its rule, and undoing it."""
