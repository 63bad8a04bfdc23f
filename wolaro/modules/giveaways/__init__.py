"""Giveaways: prizes drawn among the members who entered with a button, ended by a durable job exactly once."""
