// The shortest relation paths (up to four hops) between two entities, through bridge entities.
//   :param from => 'Halvorsen Therapeutics'
//   :param to => 'European Medicines Agency'
MATCH (a:Entity {name: $from})
MATCH (b:Entity {name: $to})
MATCH p = allShortestPaths((a)-[*..4]-(b))
WHERE all(n IN nodes(p) WHERE n:Entity)
RETURN p
LIMIT 25
