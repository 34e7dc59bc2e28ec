"""Task C of the sequence study outside the pipeline: training-step time against sequence length.

The same measurement as the `measure_sequence_throughput` rule (dlrepro.sequence.throughput.measure_throughput,
the default config's models, a constant number of tokens per step), printed as a table, so that it can be
run on a lent GPU without the rest of the pipeline:

    python benchmarks/sequence_throughput.py [--device cuda] [--lengths 32,64,...,4096] [--tokens-per-step 8192]

The column `vs transformer` is each model's step time over the Transformer's (> 1: the Transformer is faster).
"""

import argparse


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default: %(default)s)")
    parser.add_argument("--lengths", default="32,64,128,256,512,1024", help="sequence lengths (default: %(default)s)")
    parser.add_argument(
        "--tokens-per-step", type=int, default=8192, help="tokens per training step (default: %(default)s)"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed steps per model and length (default: %(default)s)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: %(default)s)")
    args = parser.parse_args()

    import torch

    from dlrepro.device import pick_device, set_threads
    from dlrepro.sequence.models import SEQ_MODELS, SeqModelConfig
    from dlrepro.sequence.throughput import measure_throughput

    set_threads(args.threads)
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} thread(s)"
    rows = measure_throughput(
        SEQ_MODELS,
        [int(n) for n in args.lengths.split(",")],
        tokens_per_step=args.tokens_per_step,
        warmup=2,
        repeats=args.repeats,
        vocab_size=66,
        model_config=SeqModelConfig(),
        device=device,
    )
    print(f"{name}, torch {torch.__version__}, {args.tokens_per_step} tokens per step, median of {args.repeats} steps")
    print(f"{'model':<12} {'length':>7} {'batch':>6} {'ms/step':>9} {'tokens/s':>11} {'vs transformer':>15}")
    by = {(r["model"], r["length"]): r for r in rows}
    for r in rows:
        ratio = r["step_seconds"] / by[("transformer", r["length"])]["step_seconds"]
        print(
            f"{r['model']:<12} {r['length']:7d} {r['batch']:6d} {1000 * r['step_seconds']:9.2f} {r['tokens_per_second']:11.0f} {ratio:14.2f}x"
        )


if __name__ == "__main__":
    main()
