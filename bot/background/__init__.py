"""Long-running loops: the retry worker and the status poller."""
