"""The timeline: ``data`` (columns per lane, no Qt), ``primitives`` (canvas, axis, legend, hatching shared by
both views), ``paint`` (one session's lanes), ``overview`` (all sessions) and ``widget`` (the QWidget).

Imports go one way: data <- primitives <- paint, overview <- widget.
"""
