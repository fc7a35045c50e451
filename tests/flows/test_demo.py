"""``newswatch demo`` — what ``make demo`` runs — prints the alert, then nothing new."""


def test_demo_alerts_once_then_sends_nothing(newswatch):
    result = newswatch("demo")
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    first, second = out.split("== Second run")
    assert "putin-visit: " in first
    assert "Putin to visit China next month, Kremlin says" in first
    # The snippet is the body's sentence; the headline above it is not repeated.
    assert "Vladimir *Putin* will *visit* China next month" in first
    assert "India" not in first  # the "Read More" decoy never alerts
    assert "putin-visit: " not in second
    assert "nothing new, so nothing was sent" in second
