"""The ``polymarket`` venue: Polymarket's CLOB (UNFINISHED).

One concept per module; so far the user channel's wire format (:mod:`.user_wire`) and its
translation into order updates and fills (:mod:`.user_translate`). See
docs/venues/polymarket.md.
"""
