"""Scripted players, their scenarios and the mock collector (a local stand-in for Adobe's)."""
