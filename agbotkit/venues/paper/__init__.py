"""The ``paper`` venue: orders filled against the live (or replayed) book from the bus, by the
pure fill simulator (:mod:`agbotkit.exec.fillsim`); no money moves. See docs/venues/paper.md."""
