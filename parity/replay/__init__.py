"""Replay recorded threads from a team's checkpoint store (read-only) into target savers, read back, diff, time."""
