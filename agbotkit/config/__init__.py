"""Configuration: YAML documents (:mod:`.document`), the one converter (:mod:`.converter`),
the stack schema (:mod:`.schema`, :mod:`.stack`), field checks and secrets."""
