// Full-text and vector indexes populate in the background; reads wait until they are online.
CALL db.awaitIndexes($seconds)
