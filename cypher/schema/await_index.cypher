CALL db.awaitIndex($name, $seconds)
