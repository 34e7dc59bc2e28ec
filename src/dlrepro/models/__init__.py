"""Model architectures only: no data loading, no training loops, no I/O."""
