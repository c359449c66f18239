"""The leader lease: exactly one execution process trades a wallet at a time.

A lease is a PostgreSQL session advisory lock, held by a connection of its own. The parts:
:mod:`.key` (a lease's name -> the lock's key), :mod:`.config` (the ``leader_lease``
options and the server-side timeouts they imply), :mod:`.session` (the lock's connection,
blocking, run in worker threads), :mod:`.lease` (taking, keeping and releasing the lease
from trio) and :mod:`.leader` (the execution component trading only while it leads).

Safety design
-------------

* **One holder.** ``pg_try_advisory_lock(key)`` succeeds in at most one database session
  at a time; the lock lives as long as that session (or until ``pg_advisory_unlock``).
* **The holder fences itself.** Every ``check_interval_s`` the holder asks, on the lock's
  own connection, whether its session still holds the lock. Each check is bounded: when no
  check sent at time *t* has succeeded by *t* + ``lease_s``, or a check fails, the holder
  stops trading at once (new orders refused, sending cancelled) before anything else.
* **The server outlives the fence.** The lock's session is opened with server-side TCP
  keepalives and ``tcp_user_timeout`` (startup options) that drop a silent client only
  after ``lease_s`` plus a margin (:attr:`.config.LeaseConfig.server_timeout_s`), so a
  holder cut off from the database has stopped trading before the server can free its
  lock. The client side has matching libpq keepalives, so a blocked call ends too.
* **An unclean takeover waits.** A session can also end early: killed by an operator
  (``pg_terminate_backend``), a database restart or failover. The old holder then learns it
  only at its next check, within ``lease_s``. So a new holder whose predecessor did not
  release cleanly (the lease table says ``held``) waits ``lease_s`` before it trades: by
  then every earlier holder has fenced itself, whatever ended its session. A clean release
  (``released``) lets the next holder trade at once.
* **A clean stop releases.** At a stop the holder cancels its orders (``cancel_on_stop``),
  writes ``released`` and unlocks, so a standby takes over within ``acquire_interval_s``.
"""
