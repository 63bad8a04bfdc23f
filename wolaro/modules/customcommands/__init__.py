"""Custom commands: per-server commands whose answers are safe Liquid templates, with a small key-value store."""
