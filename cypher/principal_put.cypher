// Creates or replaces a principal: its groups, roles and the hash of its API key (never the key).
MERGE (p:KgragPrincipal {name: $name})
SET p.groups = $groups, p.roles = $roles, p.key_id = $key_id, p.key_hash = $key_hash, p.created = $created
