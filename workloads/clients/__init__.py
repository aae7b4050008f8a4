"""Clients per database."""
