"""Task C: seconds per training step and tokens/s against sequence length, for every model, on the device."""

import torch

from dlrepro.device import pick_device, set_threads
from dlrepro.io import log_header, setup_logging, write_json
from dlrepro.sequence.study import run_throughput

setup_logging(snakemake.log[0])
set_threads(snakemake.threads)
p = snakemake.params
device = pick_device(p.device)
log_header(
    torch=torch.__version__, device=str(device), threads=snakemake.threads, model_settings=p.model, **p.throughput
)
name = (
    torch.cuda.get_device_name(device)
    if device.type == "cuda"
    else (f"CPU, {snakemake.threads} threads" if snakemake.threads > 1 else "CPU, 1 thread, CPU time")
)
rows = run_throughput(p.throughput, p.model, kinds=p.models, device=str(device))
write_json(snakemake.output.throughput, {"device": name, "rows": rows})
