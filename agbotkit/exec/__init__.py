"""The execution layer: order management, fill simulation, the ``execution`` component."""
