"""Derived figures: response times and time at each severity."""

from __future__ import annotations

from datetime import timedelta

from storage.metrics import response_metrics, time_in_severity
from tests.conftest import NOW


def at(minutes: int):  # noqa: ANN201
    return NOW + timedelta(minutes=minutes)


def test_response_metrics_follow_the_definitions() -> None:
    milestones = {"started": at(0), "detected": at(7), "acknowledged": at(9), "mitigated": at(40), "resolved": at(65)}
    assert response_metrics(milestones) == {
        "time_to_detect_s": 7 * 60,
        "time_to_acknowledge_s": 2 * 60,
        "time_to_mitigate_s": 40 * 60,
        "time_to_resolve_s": 65 * 60,
    }


def test_response_metrics_are_none_while_unknown() -> None:
    assert response_metrics({"detected": at(0)}) == {
        "time_to_detect_s": None,
        "time_to_acknowledge_s": None,
        "time_to_mitigate_s": None,
        "time_to_resolve_s": None,
    }


def test_time_in_severity_sums_each_level() -> None:
    history = [(2, at(10)), (1, at(20)), (2, at(50)), (1, at(60))]
    spent = time_in_severity(history, started=at(0), end=at(90))
    assert spent == {1: timedelta(minutes=60), 2: timedelta(minutes=30)}


def test_time_in_severity_ignores_a_start_after_the_declaration_and_clamps_the_end() -> None:
    spent = time_in_severity([(3, at(0)), (2, at(30))], started=at(5), end=at(20))
    assert spent == {2: timedelta(0), 3: timedelta(minutes=20)}
