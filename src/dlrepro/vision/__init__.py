"""The vision study (paper §3.3-3.4): a ResNet-style CNN and a ViT trained from scratch on CIFAR-10.

- `models`: the two architectures (`ResNet`, `ViT`) and `build_model`;
- `data`: class-balanced subsets, batched augmentation (random crop + flip on tensors);
- `training`: the training loop (checkpointed, resumable, fast paths behind switches);
- `measure`: FLOPs per image, confusion matrices, attention rollout;
- `study`: summaries over seeds, the performance trend and the verdicts;
- `report`: the generated LaTeX for the report section; `plots`: the figures.

Importing the package does nothing; torch is imported by the modules that need it.
"""
