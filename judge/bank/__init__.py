"""The problem bank: finding packages (loader), their immutable versions (versions), validating
(validation), uploading (packages) and who may see them (ownership).

The modules sit on different floors (tests/test_layers.py): loader and versions are core (grading loads
problems through them), validation sits with grading, packages and ownership with storage. This file
imports none of them, so that importing the loader never pulls in the floors above it.
"""
