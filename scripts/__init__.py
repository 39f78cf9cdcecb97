"""Benchmarks and studies run from the repository root (``python scripts/NAME.py``); ``protocol_sessions`` is also
imported by the class benchmark and the replica test as ``scripts.protocol_sessions``."""
