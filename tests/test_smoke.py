from conftest import ok, run


def test_seeded_desk_opens_and_lists_a_ticket(desk):
    opened = ok("ticket open --type crash --title 'App closes' --customer C1 "
                "--field phone_model='iPhone 15' --field os=iOS --field app_version=3.2 --json")
    ticket = opened.json
    assert ticket["status"] == "assigned"
    assert ticket["assignee"] in ("bob", "carol", "mgr", "alice")
    assert ticket["cc"] == ["zhao"]
    assert ticket["accept_due_at"] == "2026-11-28T11:00:00Z"
    listed = ok("ticket list --json").json
    assert [t["id"] for t in listed] == [ticket["id"]]
    assert run("ticket show 99").code == 3


# --- the command as a process: `deskcli` leaves without tearing the interpreter down ------

def command(*args: str, **kwargs):
    """`python -m deskcli ARGS` as a process (the console script runs the same `run`)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DESKCLI_USER": "alice"}
    return subprocess.run([sys.executable, "-m", "deskcli", *args], env=env,
                          capture_output=True, text=True, **kwargs)


def import_renewals(count: int) -> None:
    """`count` tickets with long titles: their JSON listing is larger than a pipe holds."""
    import json

    lines = "".join(json.dumps({"type": "renewal", "title": f"Renewal {i} " + "续费" * 40,
                                "customer": "C1", "fields": {"package": "12"}}) + "\n"
                    for i in range(count))
    assert command("ticket", "import", "-", input=lines).returncode == 0


def test_the_process_keeps_exit_statuses_and_flushes_all_output(seeded_desk):
    import json

    import_renewals(400)
    listed = command("ticket", "list", "--limit", "0", "--json")
    assert listed.returncode == 0 and len(listed.stdout) > 100_000  # more than any buffer
    assert len(json.loads(listed.stdout)) == 400  # every byte arrived
    missing = command("ticket", "show", "9999")
    assert missing.returncode == 3 and missing.stderr.startswith("Error: no ticket #9999")
    usage = command("ticket", "list", "--bogus")
    assert usage.returncode == 2 and "No such option '--bogus'" in usage.stderr


def test_a_reader_that_stops_early_is_not_an_error(seeded_desk):
    import os
    import subprocess
    import sys

    import_renewals(400)
    env = {**os.environ, "DESKCLI_USER": "alice"}
    # `deskcli ticket list --limit 0 --json | head -c 10`: the reader leaves long before
    # the end (the output is larger than a pipe holds)
    with subprocess.Popen([sys.executable, "-m", "deskcli", "ticket", "list", "--limit", "0",
                           "--json"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0 and "Traceback" not in err, err
