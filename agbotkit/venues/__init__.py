"""Venue adapters: where orders go (``paper`` built in; each a :class:`agbotkit.abc.VenueAdapter`)."""
