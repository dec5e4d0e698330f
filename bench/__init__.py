"""The benchmark: `python -m bench.run` (see README)."""
