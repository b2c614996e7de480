"""``python -m kgrag`` runs the kgrag command, so that a checkout's own code runs without reinstalling."""

from kgrag.cli import main

main()
