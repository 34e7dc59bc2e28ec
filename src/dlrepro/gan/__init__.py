"""The GAN study (paper §2): the paper's GAN, LSGAN and BiGAN, an MNIST classifier for sample-quality
metrics (FID, Inception Score, class coverage), and the report values. Importing does nothing."""
