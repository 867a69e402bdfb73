"""The timeline: data (columns per lane), paint (shared primitives), the per-session widget and the overview."""
