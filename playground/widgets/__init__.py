"""Reusable Qt parts shared by the panels."""
