"""Fault injection on servers the suite owns: durability, outages, TTL, memory, modules, migration, cluster."""
