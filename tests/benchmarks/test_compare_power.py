from __future__ import annotations

from t2iqa.benchmarks.compare_power import detection_rate


def test_false_alarms_stay_under_alpha_and_large_drops_are_caught() -> None:
    # 100 prompts x 2 seeds through the gate's own statistics. No change: regressions are
    # called at most alpha = 2.5% of the time (the 2-point tolerance makes it rarer still).
    assert detection_rate(0.0, 100, 2, family=1, trials=300) <= 0.035
    # A drop of about 35 points (log-odds -1.5) is caught even as one of 30 gated results.
    assert detection_rate(-1.5, 100, 2, family=30, trials=40) >= 0.95
    # More seeds per prompt, more power for the same drop.
    assert detection_rate(-0.45, 100, 4, 1, 60) > detection_rate(-0.45, 100, 1, 1, 60) + 0.15
