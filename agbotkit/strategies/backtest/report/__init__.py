"""The backtest's self-contained HTML report (:func:`~.html.write_report`)."""
