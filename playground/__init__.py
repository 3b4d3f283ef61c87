"""Generative Playground: live demos of generative models for students and lecturers."""

__version__ = "0.1.0"
