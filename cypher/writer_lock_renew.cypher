// Extends $owner's lease on the writer lock; returns 0 when $owner no longer holds it.
MATCH (l:KgragLock {name: $name, owner: $owner})
SET l.expires = timestamp() + $lease
RETURN count(l) AS held
