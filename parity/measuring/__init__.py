"""Benchmarks: interleaved timing, saver operations, growth, concurrency, footprint, network distance, claims."""
