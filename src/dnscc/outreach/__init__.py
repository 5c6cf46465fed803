"""Outreach: the one outbox for every outbound message, its channels (email with OpenPGP,
signed webhooks), delivery and acknowledgement tracking, message templates, and CSAF 2.0
advisories published as a CSAF provider."""
