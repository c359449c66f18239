"""Loopback servers that behave like Polymarket's CLOB market socket and RTDS.

They stand in for Polymarket in tests, in replays and in the offline demo, and follow the
wire protocols of both feeds down to the quirks a client must survive: the CLOB
initial book dump as one JSON array, ``INVALID OPERATION`` for a second initial frame, the
RTDS empty frame at connect, its error frames for a bad filter or an unknown topic (which
void the whole batch), filters with whitespace that go silent, and the "silent freeze".

They read client frames with the stdlib ``json``: they are tooling, not the hot path (a
frame nested too deeply for it, ``RecursionError``, is unreadable like any other). Data
goes out through one bounded queue per connection, written in batches by that connection's
own task, so :meth:`publish` never waits on a socket; a client whose queue fills is closed
with code 1013 ``slow consumer``, as Polymarket does.

Failure modes for tests: :attr:`silent`, :meth:`disconnect_all`,
:meth:`reject_next_connections`; what happened: :attr:`connections_accepted`,
:attr:`frames_received`, :meth:`current_subscriptions`, :attr:`active_connections`; and
:meth:`wait_for` to wait for any of it without sleeping.
"""
