"""Alert messages → domain ``Alert``: a catalogue of alert sources, one module per tool
(``bot.alerts.tools``), plus a generic reader for the rest and the team's own sources from
the providers file (``bot.alerts.custom``). Pure functions, no I/O; never raises on any
message shape (``bot.alerts.shape`` is the one place that looks at raw dicts).
"""
