"""flowctl: a sales pipeline declared in YAML and enforced."""

__version__ = "0.1.0"
