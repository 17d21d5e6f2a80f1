"""Kundportalen test suite."""
