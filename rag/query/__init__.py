"""Turning what the user typed into what is searched: follow-up questions resolved against the
conversation into a typed Query (followup.py)."""
