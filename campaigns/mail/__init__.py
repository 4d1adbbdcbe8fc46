"""Outgoing e-mail: letters to customers sent after the request commits, and the feedback e-mails' timer."""
