"""Recording and replay: the recording format (:mod:`.recording`), the ``recorder`` and
``replay`` components, the seeded synthetic generator (:mod:`.synthetic`) and the loopback
servers that speak Polymarket's protocols (:mod:`.loopback`)."""
