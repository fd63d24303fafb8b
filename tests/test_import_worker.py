"""`ticket import` with its worker process (inputs of more than one chunk): the same
answers as without it. Chunks of 2 lines here, so small inputs go through the worker."""

import json

import pytest
from conftest import db_count, ok, run


@pytest.fixture
def desk(seeded_desk, monkeypatch):
    import deskcli.tickets.import_worker

    monkeypatch.setattr(deskcli.tickets.import_worker, "CHUNK", 2)
    started = []
    real = deskcli.tickets.import_worker._in_worker

    def in_worker(*args):
        started.append(True)
        return real(*args)

    monkeypatch.setattr(deskcli.tickets.import_worker, "_in_worker", in_worker)
    yield seeded_desk
    assert started  # the worker did the checking


def line(i: int, **extra) -> str:
    record = {"type": "renewal", "title": f"R{i}", "customer": "C1",
              "fields": {"package": "12"}, "external_id": f"E-{i}"}
    record.update(extra)
    return json.dumps(record) + "\n"


def test_the_first_bad_line_is_named_whichever_process_finds_it(desk):
    # line 3 repeats an external id (found by the main process, which writes); line 6 is
    # not JSON (found by the worker, which parses): line 3 is named
    text = line(1) + line(2) + line(1) + line(4) + line(5) + "{oops\n"
    result = run("ticket import -", input=text)
    assert result.code == 2 and "line 3: external_id 'E-1' appears twice" in result.err
    # and the other way round
    text = line(1) + "{oops\n" + line(3) + line(1) + line(5)
    result = run("ticket import -", input=text)
    assert result.code == 2 and "line 2: not valid JSON" in result.err
    assert db_count(desk, "tickets") == 0


def test_the_worker_counts_every_line_and_reports_progress(desk):
    from deskcli.desk import Desk
    from deskcli.tickets.bulk import import_tickets

    text = line(1) + "\n" + line(2) + line(3) + "  \n" + line(4) + line(5) + "\n"
    calls = []
    opened = Desk.open(str(desk), "alice")
    try:
        counts = import_tickets(opened, text.splitlines(keepends=True),
                                lambda *args: calls.append(args))
    finally:
        opened.close()
    assert counts == {"imported": 5, "skipped": 0, "lines": 8, "rebuilt_indexes": False,
                      "ignored_keys": []}
    assert calls == [(8,)]
    assert [t["title"] for t in ok("ticket list --sort id --json").json] == [
        "R1", "R2", "R3", "R4", "R5"]


def test_a_disabled_type_named_in_the_worker_fails_with_its_status(desk):
    ok("type disable renewal")
    result = run("ticket import -", input=line(1) + line(2) + line(3))
    assert result.code == 5 and "line 1: ticket type 'renewal' is disabled" in result.err
    result = run("ticket import -", input=line(1, type="crash") + line(2) + line(3))
    assert result.code == 2 and "line 1: " in result.err  # crash needs its fields


def test_an_unreadable_input_raises_in_the_import_as_without_a_worker(desk):
    """The worker reads the input: what reading raises is raised by import_tickets (here
    bytes that are not UTF-8, as a text file's iteration raises them)."""
    from deskcli.desk import Desk
    from deskcli.tickets.bulk import import_tickets

    def lines():
        for i in range(1, 6):
            yield line(i)
        b"\xff".decode("utf-8")

    opened = Desk.open(str(desk), "alice")
    try:
        with pytest.raises(UnicodeDecodeError):
            import_tickets(opened, lines())
    finally:
        opened.close()
    assert db_count(desk, "tickets") == 0
