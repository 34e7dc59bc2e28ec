# Test-only workflow for the cluster tests: one rule that asks for a GPU the way the study rules do
# (`resources: gpu=1`) and records what the job saw. Submitted with --profile profiles/slurm.


rule all:
    default_target: True
    input:
        "gpu/visible.txt",


rule see_gpu:
    output:
        "gpu/visible.txt",
    log:
        "logs/see_gpu.log",
    threads: 1
    resources:
        gpu=1,
        mem_mb=200,
        runtime=5,
    shell:
        'echo "CUDA_VISIBLE_DEVICES=${{CUDA_VISIBLE_DEVICES-unset}} SLURM_JOB_ID=${{SLURM_JOB_ID-unset}}" > {output} 2> {log}'
