# Data: fetch each data set (download, or copy from data_dir), verify checksums, build its cache.


rule download_idx_images:
    output:
        images_train="resources/{dataset}/train-images-idx3-ubyte.gz",
        labels_train="resources/{dataset}/train-labels-idx1-ubyte.gz",
        images_test="resources/{dataset}/t10k-images-idx3-ubyte.gz",
        labels_test="resources/{dataset}/t10k-labels-idx1-ubyte.gz",
        provenance="resources/{dataset}/provenance.json",
    log:
        "logs/download_idx_images/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(IDX_SETS),
    conda:
        "../../envs/numpy.yaml"
    params:
        dataset=lambda wildcards: wildcards.dataset,
        spec=idx_dataset_spec,
        fetch=fetch_params(),
    script:
        "../scripts/data/download.py"


rule download_cifar10:
    output:
        batches=directory("resources/cifar10/cifar-10-batches-py"),
        provenance="resources/cifar10/provenance.json",
    log:
        "logs/download_cifar10/download.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        dataset="cifar10",
        spec=None,
        fetch=fetch_params(),
    script:
        "../scripts/data/download.py"


rule download_cifar100:
    output:
        batches=directory("resources/cifar100/cifar-100-python"),
        provenance="resources/cifar100/provenance.json",
    log:
        "logs/download_cifar100/download.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        dataset="cifar100",
        spec=None,
        fetch=fetch_params(),
    script:
        "../scripts/data/download.py"


rule download_rt_polarity:
    output:
        positive="resources/rt_polarity/rt-polarity.pos",
        negative="resources/rt_polarity/rt-polarity.neg",
        provenance="resources/rt_polarity/provenance.json",
    log:
        "logs/download_rt_polarity/download.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        dataset="rt_polarity",
        spec=None,
        fetch=fetch_params(),
    script:
        "../scripts/data/download.py"


rule download_tiny_shakespeare:
    output:
        text="resources/tiny_shakespeare/input.txt",
        provenance="resources/tiny_shakespeare/provenance.json",
    log:
        "logs/download_tiny_shakespeare/download.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        dataset="tiny_shakespeare",
        spec=None,
        fetch=fetch_params(),
    script:
        "../scripts/data/download.py"


rule prepare_dataset:
    input:
        raw_files,
    output:
        cache="resources/{dataset}/{dataset}.npz",
    log:
        "logs/prepare_dataset/{dataset}.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        format=cache_format,
    script:
        "../scripts/data/prepare_dataset.py"


rule prepare_all_data:
    input:
        expand(rules.prepare_dataset.output.cache, dataset=ALL_DATASETS),
