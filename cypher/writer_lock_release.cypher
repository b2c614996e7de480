// Releases $owner's writer lock: the node goes, so that an idle store holds nothing of it.
MATCH (l:KgragLock {name: $name, owner: $owner})
DELETE l
