"""Digest: tell users what is new since the last digest — flags first, then articles.

The last stage of the flow: it reads the store (articles, versions, flags) and
writes digests, rendered as Markdown, HTML, JSON or Atom and delivered to a
folder, by e-mail or to a webhook.
"""
