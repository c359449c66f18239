"""Pure domain values: attrs classes, no trio, no I/O."""
