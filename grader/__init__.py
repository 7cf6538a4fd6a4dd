"""Autograder for numpy programming exercises."""

__version__ = "0.1.0"
