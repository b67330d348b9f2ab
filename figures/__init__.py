"""Figures: extract the numbers an article states, keep their record, flag what moved.

Sits after `store` in the flow: it reads an article version's clean text and
writes figure mentions and flags.
"""
