"""Suggestions: members suggest in a channel (by command or form), others vote with buttons, staff decide."""
