"""Statistics: message, voice and member activity per server, rolled up by hour and day, with charts."""
