"""The Polymarket venue: V2 orders signed for the CLOB, its REST API and user channel.

UNFINISHED: so far this package holds the pure layer that builds and signs orders
(:mod:`.eip712`, :mod:`.keys`, :mod:`.amounts`, :mod:`.orders`, :mod:`.signer`,
:mod:`.deposit_wallet`, :mod:`.body`, :mod:`.l1`); the REST client, the user channel and the
venue adapter come next. See docs/venues/polymarket.md.
"""
