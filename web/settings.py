"""The `web` section of config.yaml: where `pressmon serve` listens and who may use it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebSettings(BaseModel):
    """Binding and access for the web app."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(
        "127.0.0.1", description="Address to bind; other than loopback needs a token."
    )
    port: int = Field(8080, ge=0, le=65535, description="Port to bind.")
    threads: int = Field(
        2,
        ge=1,
        le=64,
        description="Requests each server process works on at once; more wait their turn.",
    )
    token_env: str = Field(
        "PRESSMON_WEB_TOKEN",
        description="Environment variable holding the access token required off loopback.",
    )
