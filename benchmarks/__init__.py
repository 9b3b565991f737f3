"""Benchmarks against PyTorch CPU in the same process: `python -m benchmarks`."""
