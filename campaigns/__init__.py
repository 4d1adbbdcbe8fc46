"""Reciprocate: free-sample campaigns measured from voucher to paying customer."""
