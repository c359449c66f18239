"""Planning (:mod:`.plan`) and supervising (:mod:`.runner`) a stack; restart arithmetic
(:mod:`.restart`)."""
