"""The vision study (paper §3.3-3.4): a ResNet-style CNN and a ViT trained from scratch on CIFAR-10.

- `models`: the two architectures (`ResNet`, `ViT`) and `build_model`;
- `data`: class-balanced subsets, batched augmentation (random crop + flip on tensors);
- `settings`: one training job's settings from the config block (no torch: the Snakefile imports it);
- `training`: the recipe, a run's parts and its training steps (fast paths behind switches);
- `wsd`: a compute ladder as one warm-up-stable-decay trunk with a cool-down branch per budget
  (checkpointed, resumable);
- `measure`: predictions and the final score, FLOPs per image, confusion matrices, attention rollout;
- `study`: one model's ladder, the workflow's training job (`train_job`), summaries over seeds, the performance trend;
- `report`: the generated LaTeX for the report section; `plots`: the figures.

Importing the package does nothing; torch is imported by the modules that need it.
"""
