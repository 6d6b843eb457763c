"""The access journal (append-only, hash-chained per space) and the notification outbox."""
