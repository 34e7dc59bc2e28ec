"""The autoencoder study (paper §1): a NumPy autoencoder in the paper's setting and PyTorch autoencoders
(basic, convolutional, denoising, variational) against mean-image and PCA baselines.

- `numpy_model`     the paper's autoencoder in NumPy (hand-written layers and loss)
- `numpy_training`  its training loop, snapshots and checkpoints
- `models`          the PyTorch autoencoders
- `training`        their training loop, corruption for denoising, the VAE's ELBO
- `flops`           each run's counted training FLOPs (NumPy model by hand, torch models counted)
- `settings`        one job's settings from the config block (what the workflow's rules pass as `params.run`)
- `study`           data selection, one run of either kind, the baselines, and the jobs the workflow's
                    scripts hand to `dlrepro.runner.run_job`
- `report`          summaries, verdicts, LaTeX values and tables, the study's rows of the claims table
- `plots`           its figures
"""
