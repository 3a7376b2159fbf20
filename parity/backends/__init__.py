"""Backends: a name, the server family it needs, sync/async saver factories and a declared capability profile."""
