"""Imported by the cleaning workers' fork server: what every worker needs, made once.

The language model took a worker half a second on its first page; loaded here, before
the workers are forked, it is shared, as are the MinHash permutations.
"""

from __future__ import annotations

from crawler import analysis, clean  # noqa: F401 - imported for the workers
from crawler.dedupe import signature
from crawler.language import detect_language
from figures import extract  # noqa: F401 - imported for the workers

detect_language("A first call loads the language model.", None)
signature("A first call draws the MinHash permutations.")
