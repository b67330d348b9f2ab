"""The `scheduler` section of config.yaml: how jobs run and how revisits adapt."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SchedulerSettings(BaseModel):
    """Limits and policies for `pressmon run`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    crawl_timeout: float = Field(
        3600, gt=0, description="Seconds a crawl subprocess may run before it is stopped."
    )
    misfire_grace: float = Field(
        900, gt=0, description="Seconds late a missed run may still start (after a restart)."
    )
    shutdown_grace: float = Field(
        60, ge=0, description="Seconds a running crawl gets to finish on SIGTERM or Ctrl-C."
    )
    stop_after: float = Field(
        5, gt=0, description="Seconds between SIGTERM and SIGKILL when a crawl must stop."
    )
    workers: int = Field(
        3, ge=1, description="Crawls that may run at once (each source is never run twice)."
    )
    lease_timeout: float = Field(
        60,
        ge=1,
        description="Seconds without a heartbeat after which a scheduler counts as gone and "
        "another may take the store.",
    )
    history: int = Field(
        8, ge=1, description="Recent crawl runs of a source that its adaptive interval looks at."
    )
