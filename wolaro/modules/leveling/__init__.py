"""Leveling: XP for chatting and voice, levels on a curve, role rewards, rank cards and leaderboards."""
