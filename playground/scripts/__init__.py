"""Copy as Python: a panel's experiment written out as a short script that uses ``playground.models``.

One module per panel, each with one function ``<panel>_script(...) -> str`` that builds the script from the panel's
settings (its ``state()``), its data and its last snapshot; :mod:`playground.scripts.writing` holds what they share
(exact literals for numbers, points and text, the header, the plotting guard). Nothing here imports Qt.

Every script replays the run from its seed with the settings the panel shows, for the same number of steps, prints
the numbers the panel shows (exactly: floats are written and printed with all their digits) and plots the result
when matplotlib is installed. Setting the environment variable ``PLAYGROUND_PRINT_ONLY=1`` skips the plot.
"""
