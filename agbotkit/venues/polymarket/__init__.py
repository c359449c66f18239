"""The ``polymarket`` venue: Polymarket's CLOB, trading with V2-signed orders (UNFINISHED).

One concept per module. Signing, pure: EIP-712 encoding (:mod:`.eip712`), the wallet's key
(:mod:`.keys`), amounts and rounding (:mod:`.amounts`), the V2 order and its id
(:mod:`.orders`), one wallet's signer (:mod:`.signer`), deposit-wallet signatures
(:mod:`.deposit_wallet`), the order bodies (:mod:`.body`), L1 auth (:mod:`.l1`). Requests:
credentials and their files (:mod:`.credentials`), the L2 request signature (:mod:`.hmac`),
the REST transport (:mod:`.transport`) and endpoints (:mod:`.rest`), their answers
(:mod:`.responses`). The user channel, pure: its wire format (:mod:`.user_wire`) and its
translation into order updates and fills (:mod:`.user_translate`). See
docs/venues/polymarket.md.
"""
