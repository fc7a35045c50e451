from __future__ import annotations

import pytest

from spiders.crawl import main


@pytest.mark.parametrize("args", [
    ["--site-json", "not json", "--output", "o", "--stats", "s"],
    ["--site-json", '{"feeds": []}', "--output", "o", "--stats", "s"],
    ["--site-json", '{"name": "x"}', "--output", "o", "--stats", "s", "--settings-json", "[]"],
    ["--output", "o", "--stats", "s"],
])
def test_bad_arguments_exit_with_status_2(args, capsys):
    with pytest.raises(SystemExit) as exited:
        main(args)

    assert exited.value.code == 2
    assert "python -m spiders.crawl" in capsys.readouterr().err
