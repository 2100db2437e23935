"""Benchmarks that print a rate beside a baseline measured in the same run."""
