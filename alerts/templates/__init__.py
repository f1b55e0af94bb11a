"""Jinja2 templates of the digest (a package so that setuptools ships the *.j2 files)."""
