"""judge: an auto-graded coding-challenge judge for generative-AI problems in PyTorch."""

__version__ = "0.1.0"
