MATCH (p:KgragPrincipal {name: $name})
RETURN p {.name, .groups, .roles, .key_id, .key_hash, .created} AS principal
