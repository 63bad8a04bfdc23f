"""Per-command permissions: switch commands off, allow or deny them by role and channel."""
