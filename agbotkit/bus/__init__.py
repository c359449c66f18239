"""The in-process message bus: typed topics fanned out to bounded subscriptions.

Each subscription owns a bounded buffer with its own overflow policy:

* ``block``: a publisher waits for room (orders, fills: nothing may be lost);
* ``drop-oldest``: the oldest buffered message gives way and is counted in
  :attr:`Subscription.dropped` (metrics, ticks: fresh data matters more than old).

Closing the bus ends each subscriber's ``async for`` once it has read what was already
buffered.

Speed: trio's task switches are what a message costs, so the bus makes few of them. A
message costs the publisher a ``deque.append`` per subscriber, and a subscriber is woken once
per batch of messages, not once per message:

* ``async for`` hands out what is already buffered without a trip through the scheduler (at
  most :data:`MAX_BATCH` in a row), and :meth:`Subscription.receive_batch` takes it all in
  one call;
* :meth:`Bus.publish` wakes the subscribers waiting for a message when it returns from its
  own checkpoint (one scheduling round later than it could), so a publisher in a loop has
  usually published a few more by the time each subscriber runs.

A buffered message stays in the buffer until it is handed out, so ``drop-oldest`` and
``block`` behave exactly as if each message were received one by one.

The parts: :mod:`.topic` (:class:`~agbotkit.bus.topic.Topic`,
:class:`~agbotkit.bus.topic.Overflow`),
:mod:`.subscription` (one subscriber's bounded buffer) and :mod:`.bus` (the fan-out).
"""
