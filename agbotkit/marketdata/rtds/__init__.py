"""Polymarket's real-time data socket (RTDS): :mod:`.wire` (envelopes, payloads, client
frames), :mod:`.translate` (to domain events) and :mod:`.handler` (the socket side)."""
