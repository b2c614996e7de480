MATCH (p:KgragPrincipal {key_id: $key_id})
RETURN p {.name, .groups, .roles, .key_id, .key_hash, .created} AS principal
