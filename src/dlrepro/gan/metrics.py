"""Sample-quality metrics computed in a classifier's feature space: Fréchet distance (FID), Inception
Score, class coverage; and a linear probe for learned features. Pure functions of arrays/tensors."""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "feature_stats",
    "frechet_distance",
    "inception_score",
    "class_coverage",
    "classify",
    "sample_quality",
    "linear_probe",
]


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (float64, unbiased) of (n, d) features."""
    f = np.asarray(features, dtype=np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet distance between N(mu1, cov1) and N(mu2, cov2) (Heusel et al. 2017):
    |mu1 - mu2|^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^{1/2}).

    tr((cov1 cov2)^{1/2}) equals tr((s cov2 s)^{1/2}) with s = cov1^{1/2}, a symmetric PSD matrix, so
    both square roots come from symmetric eigendecompositions (no complex round-off as with sqrtm).
    """
    vals, vecs = np.linalg.eigh(cov1)
    s = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T  # cov1^{1/2}
    inner = np.linalg.eigvalsh(s @ cov2 @ s)
    trace_sqrt = float(np.sqrt(np.clip(inner, 0, None)).sum())
    diff = np.asarray(mu1, dtype=np.float64) - np.asarray(mu2, dtype=np.float64)
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt)


def inception_score(probs: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))) over the rows of (n, classes) softmax outputs; 1..classes."""
    p = np.asarray(probs, dtype=np.float64)
    marginal = p.mean(axis=0, keepdims=True)
    kl = (p * (np.log(p + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
    return float(math.exp(kl.mean()))


def class_coverage(probs: np.ndarray) -> tuple[np.ndarray, float]:
    """Share of samples the classifier assigns to each class, and its KL divergence to uniform (nats;
    0 = every class equally often, log(classes) = all samples in one class)."""
    p = np.asarray(probs)
    k = p.shape[1]
    share = np.bincount(p.argmax(axis=1), minlength=k) / len(p)
    nz = share[share > 0]
    return share, float((nz * np.log(nz * k)).sum())


@torch.no_grad()
def classify(classifier: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features and softmax probabilities of images (n, 784) in [0, 1]."""
    classifier.eval()
    feats, probs = [], []
    for chunk in x.split(batch_size):
        f = classifier.features(chunk)
        feats.append(f.float().cpu())
        probs.append(torch.softmax(classifier.head(f), dim=1).float().cpu())
    return torch.cat(feats).numpy(), torch.cat(probs).numpy()


def sample_quality(classifier: torch.nn.Module, images: torch.Tensor, reference: tuple[np.ndarray, np.ndarray]) -> dict:
    """FID against the reference (mu, cov), Inception Score, class shares and their KL to uniform."""
    feats, probs = classify(classifier, images)
    share, kl = class_coverage(probs)
    return {
        "fid": frechet_distance(*feature_stats(feats), *reference),
        "inception_score": inception_score(probs),
        "coverage_kl": kl,
        "class_share": share.tolist(),
    }


def linear_probe(
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    *,
    steps: int = 100,
    weight_decay: float = 1e-4,
) -> float:
    """Test accuracy of a multinomial logistic regression (full-batch L-BFGS) on standardised features."""
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    a, b = (train_x - mean) / std, (test_x - mean) / std
    linear = torch.nn.Linear(a.shape[1], 10)
    torch.nn.init.zeros_(linear.weight)
    torch.nn.init.zeros_(linear.bias)
    opt = torch.optim.LBFGS(linear.parameters(), lr=1.0, max_iter=steps, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(linear(a), train_y) + weight_decay * linear.weight.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float((linear(b).argmax(1) == test_y).float().mean())
