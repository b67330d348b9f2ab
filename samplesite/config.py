"""The pressmon config that watches the sample newsroom, for the demo and crawl tests.

Sits beside the server: `sample_config(site.base_url)` gives the YAML a test or
`pressmon demo` loads to crawl a running `SampleSite`.
"""

from __future__ import annotations

from importlib import resources

SAVED_BASE = "http://127.0.0.1:8765"


def sample_config(base_url: str) -> str:
    """The YAML text of samplesite/sample-config.yaml with its base URL set to `base_url`."""
    text = resources.files("samplesite").joinpath("sample-config.yaml").read_text("utf-8")
    return text.replace(SAVED_BASE, base_url.rstrip("/"))
