"""Benchmarks of the extractors on the shared dev-data (`python -m benchmarks.extraction`); not part of the package."""
