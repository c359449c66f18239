"""The database library: SQLite embedded by default, PostgreSQL/TimescaleDB at scale.

:mod:`.url` parses storage URLs, :mod:`.database` holds the options every user of a
database shares (:class:`~agbotkit.db.database.DatabaseConfig`), :mod:`.connect` opens a
backend (:mod:`.sqlite` or :mod:`.postgres`, both behind the
:class:`~agbotkit.db.backend.StorageBackend` contract), :mod:`.migrations` applies the
numbered SQL scripts in ``sql/``, :mod:`.records` are the rows, :mod:`.rows` maps the execution records to table rows
and back for both backends (the dialect differences as parameters), :mod:`.convert` makes
records from bus values, :mod:`.reader` reads history for the dashboard and :mod:`.commands` is
``agbotkit db ...``. The ``storage`` component (:mod:`agbotkit.storage`) writes through it;
the dashboard's history and the risk component's position restore read through it.
"""
