"""Web: a small server-rendered app and JSON API over the store.

Beside the CLI in the shell layer: it reads articles, figures, flags and
digests, and lets reviewers accept or dismiss flags.
"""
