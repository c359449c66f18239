"""Polymarket's Gamma markets API: :mod:`.wire` (response structs), :mod:`.translate` (to
:class:`~agbotkit.model.markets.MarketInfo`) and :mod:`.client` (the HTTP side)."""
