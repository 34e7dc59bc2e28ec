"""Shared fixtures: a real HTTP server on 127.0.0.1 whose answers each test scripts, and paths; the default
config (config/config.yaml with its schemas' defaults) and the recipes built from it, a config block with
one setting changed, and a stand-in for the `snakemake` object a rule's script gets."""

from __future__ import annotations

import copy
import functools
import gzip
import hashlib
import http.server
import io
import tarfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
STUDIES = ("autoencoder", "gan", "sequence", "vision")
# the sequence study's `model` block at a size that trains in a moment
TINY_SEQUENCE_MODEL = {
    "width": 8,
    "rnn_layers": 1,
    "rnn_hidden": 8,
    "lstm_layers": 1,
    "lstm_hidden": 4,
    "transformer_layers": 1,
    "heads": 2,
    "ff_width": 8,
}


@functools.cache
def _validated_config() -> dict:
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    for study in STUDIES:
        validate(config[study], str(REPO / "workflow" / "schemas" / f"{study}.schema.yaml"))
    return config


def default_config() -> dict:
    """config/config.yaml as the workflow reads it: each block completed by its schema's defaults (the one
    home of the defaults; the config dataclasses have none). A fresh copy per call: a test may change it."""
    return copy.deepcopy(_validated_config())


def torch_ae_recipe() -> dict:
    """Every TorchAEConfig field as the default config sets it: what `torch_ae_run_settings` passes each
    model (each gets only the settings it reads), merged; conv_channels a tuple, as `from_dict` makes it."""
    from dlrepro.autoencoder.settings import AE_MODELS, torch_ae_run_settings

    runs = [torch_ae_run_settings(default_config()["autoencoder"], model)["model"] for model in AE_MODELS]
    recipe = {key: value for run in runs for key, value in run.items()}
    recipe["noise"] = {kind: level for run in runs for kind, level in run.get("noise", {}).items()}
    return {**recipe, "conv_channels": tuple(recipe["conv_channels"])}


def numpy_ae_recipe() -> dict:
    """Every config-driven NumpyAEConfig field as the default config sets it: `numpy_ae_run_settings` of
    the paper's run under the config's reading of "MSE"."""
    from dlrepro.autoencoder.settings import numpy_ae_run_settings

    block = default_config()["autoencoder"]
    return numpy_ae_run_settings(block, block["numpy_ae"]["loss_reduction"])["model"]


def vision_runs(gap_at: dict, *, data_status: str) -> list[dict]:
    """Hand-made vision runs, three seeds at each fraction of `gap_at` (fraction -> the ViT's lead): the CNN
    at 0.6 + noise, the ViT gap_at[fraction] + noise / 2 above it."""
    runs = []
    for seed, noise in zip((0, 1, 2), (-0.004, 0.0, 0.005)):
        for f, gap in gap_at.items():
            common = {
                "seed": seed,
                "fraction": f,
                "train_examples": int(50000 * f),
                "epochs": 0.4 / f,  # the same 20,000 images drawn at every fraction
                "train_seconds": 10.0,
                "images_per_second": 500.0,
                "flops_per_image": 1000,
                "device": "cpu",
                "test_examples": 10000,
                "data_status": data_status,
            }
            runs.append({**common, "model": "cnn", "parameters": 10, "test_accuracy": 0.6 + noise})
            runs.append({**common, "model": "vit", "parameters": 20, "test_accuracy": 0.6 + noise + gap + noise / 2})
    return runs


def with_setting(block: dict, path, value) -> dict:
    """A deep copy of the config `block` with the key at `path` (dotted, or a tuple of keys) set to `value`."""
    block = copy.deepcopy(block)
    *parents, key = path.split(".") if isinstance(path, str) else path
    target = block
    for name in parents:
        target = target[name]
    target[key] = value
    return block


def snakemake_job(tmp_path, rule: str, run: dict, *, inputs=None, outputs=None, wildcards=None, out_dir="out"):
    """What a rule's script gets as `snakemake`: params.run, one thread, the rule's name, its wildcards, its
    inputs, and its outputs (file names, or lists of them) under tmp_path/out_dir; the log is tmp_path/<rule>.log."""
    from snakemake.iocontainers import Namedlist

    return SimpleNamespace(
        log=[str(tmp_path / f"{rule}.log")],
        params=SimpleNamespace(run=run),
        threads=1,
        rule=rule,
        wildcards=Namedlist(fromdict=wildcards or {}),
        input=Namedlist(fromdict={k: str(v) for k, v in (inputs or {}).items()}),
        output=_outputs({k: _under(tmp_path / out_dir, v) for k, v in (outputs or {}).items()}),
    )


def _under(folder, names):
    """A file name (or a list of them, as a rule's named list of outputs) under `folder`, as strings."""
    return [str(folder / n) for n in names] if isinstance(names, list) else str(folder / names)


def _outputs(named: dict):
    """Snakemake's outputs: every file in order, each name pointing at its file or, for a list, its slice."""
    from snakemake.iocontainers import Namedlist

    out = Namedlist()
    for name, value in named.items():
        start = len(out)
        out.extend(value if isinstance(value, list) else [value])
        out._set_name(name, start, len(out) if isinstance(value, list) else None)
    return out


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        server = self.server
        with server.lock:
            server.hits[self.path] = server.hits.get(self.path, 0) + 1
            plan = server.routes.get(self.path, [("status", 404)])
            # each request consumes the next planned answer; the last one repeats
            answer = plan.pop(0) if len(plan) > 1 else plan[0]
        kind = answer[0]
        if kind == "status":
            self.send_error(answer[1])
            return
        body = answer[1]
        if kind == "stall":
            time.sleep(answer[2])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # clients that give up (timeouts) are expected
        pass


class FileServer:
    """Serve scripted answers per path: ("ok", bytes), ("status", code), ("truncate", bytes), ("stall", bytes, s)."""

    def __init__(self):
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.routes, self.httpd.hits, self.httpd.lock = {}, {}, threading.Lock()
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, *answers) -> str:
        self.httpd.routes[path] = list(answers)
        return self.base + path

    def hits(self, path: str) -> int:
        return self.httpd.hits.get(path, 0)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    server = FileServer()
    yield server
    server.close()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tarball(members: dict[str, bytes], *, level: int = 9, mtime: int = 0) -> bytes:
    """A gzipped tar archive holding `members` (archive path -> bytes), compressed at `level`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=level, mtime=mtime)
