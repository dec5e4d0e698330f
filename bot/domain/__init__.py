"""The shared models: they import nothing of ours, and every layer may import them."""
