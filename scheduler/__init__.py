"""Scheduler: run each source's crawl and the digest on their own schedules (APScheduler 3).

Sits above the flow: jobs start `pressmon crawl --source NAME` in a subprocess
(Scrapy's reactor cannot restart in one process) and make digests on time.
"""
