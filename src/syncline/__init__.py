"""Syncline: self-hosted model sync (reverse ETL) that speaks Polytomic's Model Sync API."""

__version__ = "0.1.0"
