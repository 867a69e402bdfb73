"""gui/metricsview.py: one wording of the metrics preview for the details pane and the HTML report."""

from __future__ import annotations

from mcscope.core.metrics import preview
from mcscope.gui.metricsview import METRIC_LABELS, metric_label, metric_value
from tests.builder import clean_vod


def test_every_metric_of_the_core_has_a_label() -> None:
    metrics = preview(clean_vod().analyze().sessions[0])
    assert set(metrics) <= set(METRIC_LABELS)


def test_values_read_like_a_person_wrote_them() -> None:
    assert metric_value("content_time", 34.0) == "34.0 s"
    assert metric_value("progress_markers", [10, 25]) == "10%, 25%"
    assert metric_value("progress_markers", []) == "none"
    assert metric_value("average_bitrate", 2_500_000) == "2,500 kbps"
    assert metric_value("average_bitrate", None) == "—"
    assert metric_value("pause_count", 2) == "2"
    assert metric_label("ignored_ad_time") == "Ignored ad time counted as content"
    assert metric_label("something_new") == "Something new"
