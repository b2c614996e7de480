MATCH (p:KgragPrincipal)
RETURN p {.name, .groups, .roles, .key_id, .key_hash, .created} AS principal
ORDER BY p.name
