"""Server log: what happens in a server (messages, members, bans, roles, channels, voice), posted where you choose."""
