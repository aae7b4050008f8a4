"""Importers of histories recorded by other tools."""
