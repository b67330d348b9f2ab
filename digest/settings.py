"""The `digest` section of config.yaml: when digests are made and where they go."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crawler.sources import Schedule


class EmailDelivery(BaseModel):
    """Send each digest by SMTP; the password comes from the environment, never the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(..., description="SMTP server host.")
    port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS.")
    sender: str = Field(..., description="From: address.")
    to: tuple[str, ...] = Field(..., min_length=1, description="Recipients.")
    username_env: str | None = Field(
        None, description="Environment variable holding the SMTP user name."
    )
    password_env: str | None = Field(
        None, description="Environment variable holding the SMTP password."
    )


class WebhookDelivery(BaseModel):
    """POST each digest's JSON to a URL; an optional bearer token comes from the environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(..., description="Where to POST the digest JSON.")
    token_env: str | None = Field(
        None, description="Environment variable holding a bearer token for the webhook."
    )
    timeout: float = Field(10, gt=0, description="Seconds to wait for the webhook.")


class DigestSettings(BaseModel):
    """What a digest covers and where it is delivered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schedule: Schedule = Field(
        default_factory=lambda: Schedule(cron="0 7 * * *", timezone="Asia/Hong_Kong"),
        description="When the scheduler makes a digest.",
    )
    folder: str | None = Field(
        "data/digests", description="Folder that receives each digest as .md, .html and .json."
    )
    email: EmailDelivery | None = Field(None, description="E-mail delivery, if any.")
    webhook: WebhookDelivery | None = Field(None, description="Webhook delivery, if any.")
    send_empty: bool = Field(False, description="Send a digest even when nothing happened.")
    link: str | None = Field(
        None,
        description=(
            "Public URL where the digest folder is served; the Atom feed (feed.xml in the "
            "folder) links each entry to its HTML file there."
        ),
    )
