MATCH (p:KgragPrincipal {name: $name})
DELETE p
RETURN count(*) AS removed
