"""The problem bank: finding packages (loader), their immutable versions (versions), validating
(validation), uploading (packages) and who may see them (ownership).

The modules sit at different layers: loader and versions are core (grading loads problems through
them), validation grades and sits above grading, packages and ownership are services. This file
imports none of them, so that importing the loader never pulls in the layers above it.
"""
