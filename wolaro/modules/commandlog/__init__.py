"""Command log: the recent commands of each server (bounded), for the dashboard."""
