"""Benchmarks: bridge throughput and latency, stream throughput, end-to-end latency (not tests)."""
