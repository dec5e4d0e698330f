"""One adapter per provider API, each with its config model; ``registry`` names them all.

Providers know the domain and httpx, nothing else (tests/test_layout.py).
"""
