// Takes the writer lock for $owner when it is free, expired, or already $owner's; returns whether it was taken and
// who holds it. Setting a property first takes the node's write lock, so two writers never both see it free.
MERGE (l:KgragLock {name: $name})
SET l.touched = timestamp()
WITH l, (l.owner IS NULL OR l.owner = $owner OR l.expires < timestamp()) AS free
FOREACH (_ IN CASE WHEN free THEN [1] ELSE [] END | SET l.owner = $owner, l.expires = timestamp() + $lease)
RETURN free AS taken, l.owner AS owner
