"""Frechet distance between feature sets: fill in every function. See the statement for exact formulas."""

import torch


def feature_statistics(features):
    raise NotImplementedError


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    raise NotImplementedError


def fid_from_features(features1, features2, eps=1e-6):
    raise NotImplementedError
