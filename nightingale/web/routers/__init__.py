"""One router per area, each with its prefix, tags and auth dependency."""
