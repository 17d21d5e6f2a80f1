"""Browser tests: the user guide walked in Chromium."""
