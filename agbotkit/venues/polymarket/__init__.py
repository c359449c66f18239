"""The ``polymarket`` venue: Polymarket's CLOB, trading with V2-signed orders (UNFINISHED).

One concept per module: credentials and their files (:mod:`.credentials`), the L2 request
signature (:mod:`.hmac`), the REST transport (:mod:`.transport`) and endpoints
(:mod:`.rest`), their answers (:mod:`.responses`). See docs/venues/polymarket.md.
"""
