"""Tickets: support panels, private ticket channels, claims, ratings, auto-close and HTML transcripts."""
