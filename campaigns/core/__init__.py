"""The bottom of the house: domain errors, checked inputs, money, files handed out, the audit log, set-based SQL."""
