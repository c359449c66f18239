"""Polymarket's CLOB market channel: :mod:`.wire` (structs, decoders, client frames),
:mod:`.translate` (to domain events) and :mod:`.handler` (the socket side)."""
