"""Where document bytes live: a content store behind one interface, encrypted
at rest with a data key per space wrapped by a master key."""
