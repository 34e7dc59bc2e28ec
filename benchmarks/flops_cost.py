"""What counting training FLOPs adds to the default run (config/config.yaml; target: at most 1 minute).

Every training job counts its FLOPs once (`dlrepro.flops.forward_flops`, through its study's own counting
function; a vision job, which trains every budget of the ladder, once per budget: its later counts cost
what "again" below measures). For each kind of training job in the default DAG this builds the model at the config's sizes,
as the job does, in a fresh Python process (a Snakemake job is one process: the workflow's malloc
environment, one torch thread), and times exactly that job's count: the import of the study's counting
module and the call, which includes the first use of torch's `FlopCounterMode` in the process. Twice:

- cold: the count is the first torch work of the process. Its first use then imports torch._dynamo
  (about 1 s: the counter's dispatch mode calls a `torch._disable_dynamo` function), a cost the job
  pays anyway: an upper bound.
- after optim.: the process first creates a `torch.optim.Adam` for the model, as every torch job does
  before its count (the sequence jobs just before it, the others before training); creating it imports
  torch._dynamo the same way, so what remains is what the count adds to the job.

"again" is a second count in the same process. The jobs of each kind are counted from the config (seeds x
models x budgets x fractions, contexts or code sizes; the vision study has no job per budget) and checked against `snakemake -n` in an empty
folder. The estimate: job-seconds (jobs x the median count per job) / the default run's cores (2).

    python3 benchmarks/flops_cost.py                  # every kind, 5 pairs of fresh processes each
    python3 benchmarks/flops_cost.py --quick          # one kind, one pair (a smoke test)
    python3 benchmarks/flops_cost.py --kinds vision-vit char_lm-lstm-ctx256 --repeats 9
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from defaults import REPO, study_defaults

TARGET_S = 60.0  # the bound on what counting may add to the default run's wall time
MNIST_TRAIN = 60_000  # `train_examples: 0` = all of MNIST's training images (gan, autoencoder)
RT_POLARITY = 10_662  # sentences of sentence polarity v1.0; the split's `train` share of them trains
TINY_SHAKESPEARE_VOCAB = 66  # its 65 characters and the unknown symbol
SENTIMENT_CLASSES = 2


def _seeds() -> int:
    import yaml

    return len(yaml.safe_load((REPO / "config" / "config.yaml").read_text())["seeds"])


def _kind(name: str, rules: dict[str, int], spec: dict) -> dict:
    return {"name": name, "rules": rules, "jobs": sum(rules.values()), "spec": spec}


def _vision_and_sequence(seeds: int) -> list[dict]:
    from dlrepro.sequence.settings import char_lm_run_settings, sentiment_run_settings
    from dlrepro.vision.settings import MODELS, run_settings

    vis, seq = study_defaults("vision"), study_defaults("sequence")
    vis_jobs = seeds * len(vis["fractions"])  # one job trains every budget (a WSD trunk, a cool-down branch each)
    kinds = [  # the count does not depend on the fraction: the largest stands for all
        _kind(
            f"vision-{m}",
            {"train_image_classifier": vis_jobs},
            {"study": "vision", "model": m, "run": run_settings(vis, model=m, fraction=max(vis["fractions"]))},
        )
        for m in MODELS
    ]
    seq_jobs = seeds  # one job per model and seed (and context) trains every budget on one WSD trunk
    for m in seq["models"]:
        run = sentiment_run_settings(seq)
        kinds.append(
            _kind(
                f"sentiment-{m}",
                {"train_sequence_classifier": seq_jobs},
                {"study": "sentiment", "model": m, "run": run},
            )
        )
    for m in seq["models"]:
        for c in seq["char_lm"]["contexts"]:
            run = char_lm_run_settings(seq, context=c)
            spec = {"study": "char_lm", "model": m, "run": run}
            kinds.append(_kind(f"char_lm-{m}-ctx{c}", {"train_char_language_model": seq_jobs}, spec))
    return kinds


def _gan_and_autoencoder(seeds: int) -> list[dict]:
    from dlrepro.autoencoder.settings import numpy_ae_run_settings, torch_ae_run_settings
    from dlrepro.gan.settings import classifier_settings, run_settings

    gan, ae = study_defaults("gan"), study_defaults("autoencoder")
    kinds = [
        _kind(
            "gan-classifier", {"train_gan_classifier": 1}, {"study": "gan_classifier", "run": classifier_settings(gan)}
        )
    ]
    for m in gan["models"]:
        kinds.append(_kind(f"gan-{m}", {"train_gan": seeds}, {"study": "gan", "model": m, "run": run_settings(gan, m)}))
    torch_ae = ae["torch_ae"]
    for m in torch_ae["models"]:
        code = torch_ae["vae_code_size"] if m == "vae" else torch_ae["code_size"]
        sizes = len(torch_ae["code_sizes"]) if m in ("basic", "conv") else 1  # the curve's sizes: counted at code_size
        spec = {"study": "autoencoder", "model": m, "code": code, "run": torch_ae_run_settings(ae, m)}
        kinds.append(_kind(f"ae-{m}", {"train_torch_autoencoder": seeds * sizes}, spec))
    numpy_rules = {
        "train_numpy_autoencoder": seeds * len(ae["numpy_ae"]["loss_reductions"]),
        "train_numpy_autoencoder_tuned": seeds,
    }
    spec = {"study": "numpy_ae", "run": numpy_ae_run_settings(ae, ae["numpy_ae"]["loss_reduction"])}
    kinds.append(_kind("numpy_ae", numpy_rules, spec))
    return kinds


def job_kinds() -> list[dict]:
    """Every kind of training job of the default DAG: its name, its jobs per rule, and what to build."""
    seeds = _seeds()
    return _vision_and_sequence(seeds) + _gan_and_autoencoder(seeds)


# ---- the child: one fresh process, one job's count ----------------------------------------------


def _vision_count(spec: dict):
    import torch

    from dlrepro.vision.models import build_model
    from dlrepro.vision.study import model_settings

    arch, _ = model_settings(spec["run"], spec["model"])
    model = build_model(spec["model"], **arch, num_classes=10)  # CIFAR-10
    if spec["run"]["fast"]["channels_last"] and spec["model"] == "cnn":  # as `vision.training._build`
        model = model.to(memory_format=torch.channels_last)
    return model, "dlrepro.vision.measure", lambda m: m.flops_per_image(model, (3, 32, 32))


def _sequence_model(spec: dict, vocab: int, n_outputs: int, causal: bool):
    from dataclasses import replace

    import torch

    from dlrepro.sequence.models import SeqModelConfig
    from dlrepro.sequence.networks import SequenceModel

    torch.manual_seed(0)
    config = replace(SeqModelConfig.from_dict(spec["run"]["model"]), dropout=spec["run"]["optim"]["dropout"])
    return SequenceModel(spec["model"], vocab_size=vocab, n_outputs=n_outputs, config=config, causal=causal)


def _sentiment_count(spec: dict):
    import numpy as np

    from dlrepro.ladder import scaled
    from dlrepro.sequence.data import SentenceSet

    data, optim = spec["run"]["data"], spec["run"]["optim"]
    model = _sequence_model(spec, data["max_vocab"], SENTIMENT_CLASSES, causal=False)  # the vocabulary at its cap
    n, width = round(RT_POLARITY * data["split"]["train"]), data["max_tokens"]
    lengths = np.random.default_rng(0).integers(1, width + 1, n)  # the bucketing walks lengths, not words
    train = SentenceSet(np.zeros((n, width), dtype=np.int64), lengths, np.zeros(n, dtype=np.int64))
    epochs = [scaled(optim["epochs"], b) for b in spec["run"]["budgets"]]

    def count(m):  # as the ladder job: one forward count, then the positions of every budget's run
        kwargs = {"batch_size": optim["batch_size"], "seed": 0, "per_example": m.sentence_flops(model, width)}
        return [m.classifier_compute(model, train, epochs=e, **kwargs) for e in epochs][-1]

    return model, "dlrepro.sequence.compute", count


def _char_lm_count(spec: dict):
    from dlrepro.ladder import scaled

    run = spec["run"]
    model = _sequence_model(spec, TINY_SHAKESPEARE_VOCAB, TINY_SHAKESPEARE_VOCAB, causal=True)
    context, optim = run["context"], run["optim"]
    steps = [scaled(optim["steps"], b) for b in run["budgets"]]

    def count(m):  # as the ladder job: one forward count, then every budget's run
        kwargs = {"context": context, "batch_windows": max(1, optim["tokens_per_step"] // context)}
        kwargs["per_window"] = m.window_flops(model, context)
        return [m.lm_compute(model, steps=n, **kwargs) for n in steps][-1]

    return model, "dlrepro.sequence.compute", count


def _gan_count(spec: dict):
    from dlrepro.gan.models import build_gan
    from dlrepro.gan.study import gan_config

    config = gan_config(spec["model"], spec["run"])
    model = build_gan(config.kind, latent_dim=config.latent_dim, hidden=config.hidden)
    train = spec["run"]["data"]["train_examples"] or MNIST_TRAIN
    history = [{"epoch": e} for e in range(config.epochs + 1)]
    return model, "dlrepro.gan.flops", lambda m: m.gan_flops(model, config, train_examples=train, history=history)


def _gan_classifier_count(spec: dict):
    from dlrepro.gan.models import MnistClassifier

    c, train = spec["run"]["classifier"], spec["run"]["data"]["train_examples"] or MNIST_TRAIN
    model = MnistClassifier(channels=tuple(c["channels"]), hidden=c["hidden"])  # contiguous again after training
    return model, "dlrepro.gan.flops", lambda m: m.classifier_flops(model, train_examples=train, epochs=c["epochs"])


def _autoencoder_count(spec: dict):
    from dlrepro.autoencoder.training import TorchAEConfig, build_model
    from dlrepro.device import resolve_bf16

    settings = spec["run"]["model"]
    config = TorchAEConfig.from_dict({**settings, "bf16": resolve_bf16(settings["bf16"])})
    model = build_model(spec["model"], code_size=spec["code"], config=config)
    train = spec["run"]["data"]["train_examples"] or MNIST_TRAIN
    kwargs = {"input_dim": 784, "train_examples": train, "epochs": config.epochs}
    return model, "dlrepro.autoencoder.flops", lambda m: m.torch_ae_flops(model, **kwargs)


def _numpy_ae_count(spec: dict):
    model, train = spec["run"]["model"], spec["run"]["data"]["train_examples"] or MNIST_TRAIN
    kwargs = {"input_dim": 784, "hidden_dim": model["hidden_dim"], "train_examples": train, "epochs": model["epochs"]}
    return None, "dlrepro.autoencoder.flops", lambda m: m.numpy_ae_flops(**kwargs)


COUNTS = {
    "vision": _vision_count,
    "sentiment": _sentiment_count,
    "char_lm": _char_lm_count,
    "gan": _gan_count,
    "gan_classifier": _gan_classifier_count,
    "autoencoder": _autoencoder_count,
    "numpy_ae": _numpy_ae_count,
}


def child(spec: dict, after_optimizer: bool) -> None:
    """Build the job's model (untimed), then time the import of its counting module and the count, twice.
    `after_optimizer`: first create a torch Adam for the model, as every torch job does before its count."""
    if spec["study"] != "numpy_ae":  # the NumPy job never loads torch (`run_job(..., torch=False)`)
        from dlrepro.device import set_threads

        set_threads(1)  # as `dlrepro.runner` does for a job of `threads: 1`
    model, module_name, count = COUNTS[spec["study"]](spec)
    if after_optimizer and model is not None:
        import torch

        torch.optim.Adam(model.parameters())
    # torch._dynamo is imported by the process's first `torch._disable_dynamo` call: the counter's, or Adam's
    dynamo = "torch._dynamo" in sys.modules
    tic = time.perf_counter()
    record = count(importlib.import_module(module_name))
    first = time.perf_counter() - tic
    tic = time.perf_counter()
    count(importlib.import_module(module_name))
    again = time.perf_counter() - tic
    counted = record["train_flops"] if isinstance(record, dict) else record  # the vision study: FLOPs per image
    out = {"first": first, "again": again, "counted": counted, "torch": "torch" in sys.modules, "dynamo": dynamo}
    print(json.dumps(out))


# ---- the parent: fresh processes, the DAG check, the table --------------------------------------


def measure(kind: dict, repeats: int) -> dict[str, list[dict]]:
    """`repeats` pairs of fresh processes, one after the other: the count cold, and after an optimizer."""
    from dlrepro.malloc import set_job_environment

    env = dict(os.environ)
    set_job_environment(env)  # the malloc settings every job starts with (the Snakefile sets them)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    found = {"cold": [], "optimizer": []}
    for _ in range(repeats):
        for mode in found:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(kind["spec"])]
            cmd += ["--after-optimizer"] if mode == "optimizer" else []
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
            if done.returncode != 0:
                sys.exit(f"{kind['name']}: the count failed:\n{done.stderr[-3000:]}")
            found[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return found


def dag_counts() -> tuple[int, dict[str, int]]:
    """(jobs, {rule: jobs} of the train_* rules) that `snakemake -n` plans for the default config."""
    with tempfile.TemporaryDirectory(prefix="fc_dry") as workdir:
        cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", workdir, "-n"]
        done = subprocess.run(
            cmd, capture_output=True, text=True, cwd=workdir, env={**os.environ, "DLREPRO_DATA_DIR": ""}
        )
    text = done.stdout + done.stderr
    if done.returncode != 0:
        sys.exit(f"snakemake -n failed:\n{text[-3000:]}")
    total = int(re.search(r"^total\s+(\d+)", text, re.MULTILINE).group(1))
    return total, {rule: int(n) for rule, n in re.findall(r"^(train_\w+)\s+(\d+)\s*$", text, re.MULTILINE)}


def check_dag(kinds: list[dict]) -> None:
    """Compare the config's job counts with the DAG's; exit when they differ."""
    total, planned = dag_counts()
    counted: dict[str, int] = {}
    for kind in kinds:
        for rule, n in kind["rules"].items():
            counted[rule] = counted.get(rule, 0) + n
    verdict = "match" if counted == planned else "DIFFER"
    print(
        f"snakemake -n: {total} jobs (the target rule `all` included), {sum(planned.values())} of them training (train_*)"
    )
    print(f"  per rule {dict(sorted(planned.items()))}; the config's counts {verdict}")
    if counted != planned:
        sys.exit(f"the config's counts {dict(sorted(counted.items()))} differ from the DAG's")


def _row(kind: dict, runs: dict[str, list[dict]]) -> tuple[float, float, float]:
    cold, after = [r["first"] for r in runs["cold"]], [r["first"] for r in runs["optimizer"]]
    again = statistics.median(r["again"] for r in runs["cold"] + runs["optimizer"])
    med, med_after = statistics.median(cold), statistics.median(after)
    print(
        f"{kind['name']:<26} {kind['jobs']:>4} {min(cold):6.3f} {med:6.3f} {min(after):6.3f} {med_after:6.3f}"
        f" {again:6.3f} {kind['jobs'] * med:7.1f} {kind['jobs'] * med_after:7.1f}"
    )
    return kind["jobs"] * med, kind["jobs"] * med_after, kind["jobs"] * min(cold)


def report(kinds: list[dict], results: dict[str, dict], cores: int) -> None:
    print("\nseconds of one job's count: cold = the first torch work in the process (upper bound); after optim. =")
    print("after creating a torch Adam, as every torch job does before its count; again = a second count")
    print(f"\n{'':<31} {'cold':^13} {'after optim.':^13} {'again':>6} {'job-s (median)':^15}")
    print(
        f"{'job kind':<26} {'jobs':>4} {'min':>6} {'median':>6} {'min':>6} {'median':>6} {'median':>6} {'cold':>7} {'optim.':>7}"
    )
    totals = [sum(col) for col in zip(*(_row(kind, results[kind["name"]]) for kind in kinds))]
    jobs = sum(k["jobs"] for k in kinds)
    print(f"{'total':<26} {jobs:>4} {'':>34} {totals[0]:7.1f} {totals[1]:7.1f}")
    for label, total in (("cold (upper bound)", totals[0]), ("after the optimizer", totals[1])):
        added = total / cores
        verdict = "within" if added <= TARGET_S else "OVER"
        print(
            f"added wall time, {label}: {total:.1f} job-s / {cores} cores = {added:.1f} s"
            f" -> {verdict} the {TARGET_S:.0f} s target ({100 * added / TARGET_S:.0f}% of it)"
        )
    print(f"(cold from each kind's minimum: {totals[2] / cores:.1f} s)")
    torch_kinds = [k for k in kinds if k["spec"]["study"] != "numpy_ae"]
    loaded = {
        mode: [r["dynamo"] for k in torch_kinds for r in results[k["name"]][mode]] for mode in ("cold", "optimizer")
    }
    print(
        f"torch._dynamo (most of a cold count: its import) loaded before the count: cold in {sum(loaded['cold'])}"
        f" of {len(loaded['cold'])} torch processes, after the optimizer in {sum(loaded['optimizer'])}"
        f" of {len(loaded['optimizer'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--after-optimizer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per job kind (default: 5)")
    parser.add_argument("--kinds", nargs="+", help="only these job kinds (default: all; names as in the table)")
    parser.add_argument("--cores", type=int, default=2, help="cores of the default run (default: 2)")
    parser.add_argument("--no-dag-check", action="store_true", help="skip the check against `snakemake -n`")
    parser.add_argument("--quick", action="store_true", help="one job kind (gan-classifier unless --kinds), once")
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child), args.after_optimizer)
    sys.path.insert(0, str(REPO / "src"))
    kinds = job_kinds()
    if not args.no_dag_check:
        check_dag(kinds)
    chosen = args.kinds or (["gan-classifier"] if args.quick else [k["name"] for k in kinds])
    unknown = set(chosen) - {k["name"] for k in kinds}
    if unknown:
        parser.error(f"unknown job kinds {sorted(unknown)}; known: {', '.join(k['name'] for k in kinds)}")
    kinds = [k for k in kinds if k["name"] in chosen]
    repeats = 1 if args.quick else args.repeats
    print(f"{repeats} pair(s) of fresh processes per job kind, run one after another")
    results = {kind["name"]: measure(kind, repeats) for kind in kinds}
    report(kinds, results, args.cores)
    runs = [(k, r) for k in kinds for mode in results[k["name"]].values() for r in mode]
    if not all(r["torch"] == (k["spec"]["study"] != "numpy_ae") for k, r in runs):
        sys.exit("a torch job ran without torch, or the NumPy job loaded it")


if __name__ == "__main__":
    main()
