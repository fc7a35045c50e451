from flows.wording import counted


def test_counted_agrees_with_its_number():
    assert counted(1, "new match", "new matches") == "1 new match"
    assert counted(0, "new match", "new matches") == "0 new matches"
    assert counted(2, "story", "stories") == "2 stories"
    assert counted(1, "alert") == "1 alert"
    assert counted(3, "alert") == "3 alerts"
