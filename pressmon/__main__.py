"""`python -m pressmon` runs the CLI."""

from pressmon.cli import main

main()
