"""The `scheduler` commands of the CLI (registered on import by pressmon/cli.py)."""
