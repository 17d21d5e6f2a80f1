"""Benchmarks (`make bench`): figures printed as ratios against baselines measured in the same run."""
