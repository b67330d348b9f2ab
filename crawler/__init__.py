"""Crawler: discover, fetch, clean, judge relevance and dedupe pages from the sources.

The first stages of the flow. Spiders (Scrapy) only discover and fetch; what
happens to a fetched page is plain functions (`clean`, `relevance`, `dedupe`,
`process`) that the Scrapy pipeline adapts.
"""
