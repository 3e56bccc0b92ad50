"""Campaigns (digests and announcements): what each group gets, planning, the ledger, sending."""
