"""Economy: a per-server currency with wallets, a bank, rewards, a shop and games (see `module.py`)."""
