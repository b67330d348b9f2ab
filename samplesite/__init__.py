"""The sample newsroom: a small HKSTP press ecosystem served on 127.0.0.1 for the demo and tests.

Layout: `articles` (content/*.md as data) -> `index` (what each source lists, the `pages()`
manifest) -> `render` (templates, feeds, sitemaps) -> `server` (`SampleSite`, HTTP,
conditional GET) with `badpages` (/bad/), and `config` (`sample_config`, the pressmon config
that crawls it).
"""

from samplesite.articles import PageInfo
from samplesite.config import sample_config
from samplesite.index import pages
from samplesite.server import RequestRecord, SampleSite

__all__ = ["PageInfo", "RequestRecord", "SampleSite", "pages", "sample_config"]
