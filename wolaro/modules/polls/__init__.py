"""Polls: Discord's native polls, and button polls closed by a durable job with a results chart.

Button polls do what native ones cannot: results hidden until the end, up to 25 options, role-weighted votes.
"""
