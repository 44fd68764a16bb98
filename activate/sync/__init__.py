"""The sync engine: diff a segment against what a destination last received, send the
adds, removes and updates within consent, and keep the history."""
