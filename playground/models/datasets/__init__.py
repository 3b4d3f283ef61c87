"""Data for the models: toy point sets, procedural images, and loaders for a user's own files (no downloads)."""
