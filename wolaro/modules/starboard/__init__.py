"""Starboard: messages that collect enough stars are reposted in a channel, once, with their count kept current."""
