"""Configuration from environment variables (and an optional `.env` file).

Names are part of the operator contract (see README): `MONGODB_URI`, `CP_*`.
In `prod`, missing or weak secrets are a start-up error, never a silent default: the signing
key must carry ≥ 32 random bytes and the current PII key must be 32 random bytes, neither a
development default nor a placeholder (see `security.key_quality`). Older PII keys listed
after the current one only need to decrypt, so a deployment can rotate away from a weak key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from community_plus.platform.security.key_quality import (GENERATE_PII_KEY, GENERATE_SECRET, pii_key_problem,
    secret_problem)

DEV_SECRET = "dev-only-secret-key-change-me-000000000000"
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcy1sb25nISE="  # 32 bytes, base64, dev only


class ConfigurationError(Exception):
    """A setting is missing or invalid; the message says which and how to fix it."""


class Settings(BaseSettings):
    """All settings of one Community+ process."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    mongodb_uri: str | None = Field(default=None, alias="MONGODB_URI")
    data_dir: Path = Field(default=Path("./.community-plus"), alias="CP_DATA_DIR")
    env: Literal["dev", "prod"] = Field(default="dev", alias="CP_ENV")
    secret_key: str | None = Field(default=None, alias="CP_SECRET_KEY")
    pii_key: str | None = Field(default=None, alias="CP_PII_KEY")
    pii_key_id: str = Field(default="k1", alias="CP_PII_KEY_ID")
    db_port: int = Field(default=27217, alias="CP_DB_PORT")
    introspection: bool | None = Field(default=None, alias="CP_INTROSPECTION")
    access_token_ttl: int = Field(default=900, alias="CP_ACCESS_TOKEN_TTL")
    refresh_token_ttl: int = Field(default=30 * 86400, alias="CP_REFRESH_TOKEN_TTL")
    module_poll_interval: float = Field(default=0.5, alias="CP_MODULE_POLL_INTERVAL")
    plugins_allow: str | None = Field(default=None, alias="CP_PLUGINS")
    wechat_appid: str = Field(default="wx0000000000000000", alias="CP_WECHAT_APPID")
    wechat_secret: str | None = Field(default=None, alias="CP_WECHAT_SECRET")
    wechat_templates: str | None = Field(default=None, alias="CP_WECHAT_TEMPLATES")
    wechat_api_base: str = Field(default="https://api.weixin.qq.com", alias="CP_WECHAT_API_BASE")
    storage: Literal["local", "s3"] = Field(default="local", alias="CP_STORAGE")
    s3_endpoint: str | None = Field(default=None, alias="CP_S3_ENDPOINT")
    s3_access_key: str | None = Field(default=None, alias="CP_S3_ACCESS_KEY")
    s3_secret_key: str | None = Field(default=None, alias="CP_S3_SECRET_KEY")
    s3_bucket: str = Field(default="community-plus", alias="CP_S3_BUCKET")
    s3_secure: bool = Field(default=True, alias="CP_S3_SECURE")
    s3_region: str | None = Field(default=None, alias="CP_S3_REGION")
    storage_quota_mb: int = Field(default=2048, ge=1, alias="CP_STORAGE_QUOTA_MB")  # per community
    orphan_ttl_hours: float = Field(default=24.0, gt=0, alias="CP_ORPHAN_TTL_HOURS")
    orphan_sweep_minutes: float = Field(default=30.0, gt=0, alias="CP_ORPHAN_SWEEP_MINUTES")
    file_url_ttl: int = Field(default=600, ge=30, le=7 * 86400, alias="CP_FILE_URL_TTL")  # seconds
    public_url: str | None = Field(default=None, alias="CP_PUBLIC_URL")  # base of local /files URLs
    cors_origins: str | None = Field(default=None, alias="CP_CORS_ORIGINS")  # see core/http/cors.py
    image_workers: int = Field(default=2, ge=1, le=64, alias="CP_IMAGE_WORKERS")  # threads per process
    image_queue_seconds: float = Field(default=30.0, gt=0, alias="CP_IMAGE_QUEUE_SECONDS")
    max_depth: int = Field(default=12, alias="CP_MAX_DEPTH")
    max_aliases: int = Field(default=30, alias="CP_MAX_ALIASES")
    max_tokens: int = Field(default=3000, alias="CP_MAX_TOKENS")
    max_cost: int = Field(default=5000, alias="CP_MAX_COST")
    persisted_only: bool = Field(default=False, alias="CP_PERSISTED_QUERIES_ONLY")
    metrics_operations: str = Field(default="", alias="CP_METRICS_OPERATIONS")  # extra operation labels
    access_log: bool = Field(default=True, alias="CP_ACCESS_LOG")
    rate_limits: str = Field(default="resident=300,grid_worker=600,community_admin=1200,region_admin=1200,"
                                     "platform_admin=2400,anonymous=600", alias="CP_RATE_LIMITS")
    auto_close_days: float = Field(default=7, alias="CP_AUTO_CLOSE_DAYS")
    linkage_due_hours: str = Field(default="street=48,district=72,city=96,province=120,department=72,community=48",
                                   alias="CP_LINKAGE_DUE_HOURS")
    # realtime (GraphQL subscriptions over graphql-transport-ws; see core/realtime)
    realtime_feed: Literal["auto", "change_stream", "poll"] = Field(default="auto", alias="CP_REALTIME_FEED")
    realtime_poll_interval: float = Field(default=0.2, gt=0, alias="CP_REALTIME_POLL_INTERVAL")
    realtime_poll_lookback: float = Field(default=5.0, gt=0, alias="CP_REALTIME_POLL_LOOKBACK")
    realtime_retention_hours: float = Field(default=24.0, gt=0, alias="CP_REALTIME_RETENTION_HOURS")
    realtime_max_replay: int = Field(default=1000, ge=1, alias="CP_REALTIME_MAX_REPLAY")
    ws_max_sockets_per_user: int = Field(default=5, ge=1, alias="CP_WS_MAX_SOCKETS_PER_USER")
    ws_max_subscriptions: int = Field(default=20, ge=1, alias="CP_WS_MAX_SUBSCRIPTIONS")
    ws_queue_size: int = Field(default=100, ge=1, alias="CP_WS_QUEUE_SIZE")
    ws_heartbeat: float = Field(default=30.0, gt=0, alias="CP_WS_HEARTBEAT")
    ws_init_timeout: float = Field(default=10.0, gt=0, alias="CP_WS_INIT_TIMEOUT")
    ws_revalidate_interval: float = Field(default=15.0, gt=0, alias="CP_WS_REVALIDATE_SECONDS")
    background_jobs: bool = Field(default=True, alias="CP_BACKGROUND_JOBS")
    request_timeout: float = Field(default=10.0, gt=0, alias="CP_REQUEST_TIMEOUT")  # seconds, per request
    max_concurrent: int = Field(default=64, ge=1, alias="CP_MAX_CONCURRENT")  # requests running per worker
    max_queue: int = Field(default=256, ge=0, alias="CP_MAX_QUEUE")  # requests waiting per worker
    queue_wait: float = Field(default=5.0, gt=0, alias="CP_QUEUE_WAIT")  # seconds a request may wait
    log_format: Literal["json", "console"] = Field(default="json", alias="CP_LOG_FORMAT")

    @model_validator(mode="after")
    def _require_strong_secrets_in_prod(self) -> Settings:
        if self.env != "prod":
            return self
        problems: list[str] = []
        if not self.secret_key:
            problems.append("CP_SECRET_KEY 未设置 (CP_SECRET_KEY must be set when CP_ENV=prod)")
        elif why := secret_problem(self.secret_key, {DEV_SECRET}):
            problems.append(f"CP_SECRET_KEY 不安全：{why}")
        if not self.pii_key:
            problems.append("CP_PII_KEY 未设置 (CP_PII_KEY must be set when CP_ENV=prod)")
        else:
            current = self.pii_key.split(",")[0].strip()
            b64 = current.rpartition(":")[2] if ":" in current else current
            if why := pii_key_problem(b64, {DEV_PII_KEY}):
                problems.append(f"CP_PII_KEY 的当前密钥不安全：{why}")
            elif self.secret_key and self.secret_key.strip() in (b64, self.pii_key.strip()):
                problems.append("CP_SECRET_KEY 与 CP_PII_KEY 不能相同 (use two different keys)")
        if problems:
            raise ConfigurationError(
                "生产环境密钥配置有误 (refusing to start with CP_ENV=prod):\n  - " + "\n  - ".join(problems)
                + f"\n生成签名密钥 (make CP_SECRET_KEY): {GENERATE_SECRET}"
                + f"\n生成个人信息密钥 (make CP_PII_KEY): {GENERATE_PII_KEY}")
        return self

    @property
    def dev(self) -> bool:
        return self.env == "dev"

    @property
    def signing_key(self) -> str:
        return self.secret_key or DEV_SECRET

    @property
    def pii_key_material(self) -> str:
        return self.pii_key or DEV_PII_KEY

    @property
    def introspection_enabled(self) -> bool:
        return self.dev if self.introspection is None else self.introspection

    @property
    def allowed_plugins(self) -> set[str] | None:
        if not self.plugins_allow:
            return None
        return {p.strip() for p in self.plugins_allow.split(",") if p.strip()}


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; keyword overrides use the env-var names."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ConfigurationError:
        raise
    except Exception as exc:  # pydantic.ValidationError
        raise ConfigurationError(f"invalid configuration: {exc}") from exc
