"""Welcome: join and leave messages, an image card, roles on join (optionally delayed) and sticky roles."""
