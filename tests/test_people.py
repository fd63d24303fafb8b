"""People and access: departments, users, roles, customers, access clients, identity."""

import json

import pytest
from conftest import db_count, ok, run, set_active


@pytest.fixture
def desk(seeded_desk):
    """conftest's seeded desk, copied from a per-session template (same content, faster)."""
    return seeded_desk

# --- departments ----------------------------------------------------------------------------


def test_dept_add_list_update(desk):
    assert ok("dept add product --name Product --head bob").out.strip() == "product"
    rows = {d["key"]: d for d in ok("dept list --json").json}
    assert rows["product"]["name"] == "Product"
    assert rows["product"]["head"] == "bob"
    assert rows["support"]["members"] == 3  # mgr, bob, carol
    assert rows["support"]["head"] == "alice"
    updated = ok("dept update product --name 'Product team' --head carol --json").json
    assert (updated["name"], updated["head"]) == ("Product team", "carol")
    cleared = ok("dept update product --head none --json").json
    assert cleared["head"] is None
    assert "Product team" in ok("dept list").out


@pytest.mark.parametrize("args,code,words", [
    ("dept add support --name Again", 5, "already exists"),
    ("dept add 'bad key' --name X", 2, "not a valid department key"),
    ("dept add ops --name Ops --head ghost", 3, "no user 'ghost'"),
    ("dept update ghost --name X", 3, "no department 'ghost'"),
    ("dept update support --head ghost", 3, "no user 'ghost'"),
])
def test_dept_errors(desk, args, code, words):
    before = ok("dept list --json").json
    result = run(args)
    assert result.code == code, result
    assert words in result.err
    assert ok("dept list --json").json == before


# --- users ----------------------------------------------------------------------------------

def test_user_add_show_list(desk):
    out = ok("user add dan --name 'Dan Wu' --email dan@example.com --dept sales "
             "--manager zhao --role manager").out
    assert out.strip() == "dan"
    dan = ok("user show dan --json").json
    assert {k: dan[k] for k in ("login", "name", "email", "dept", "manager", "role", "active")} \
        == {"login": "dan", "name": "Dan Wu", "email": "dan@example.com", "dept": "sales",
            "manager": "zhao", "role": "manager", "active": True}
    zhao = ok("user show zhao --json").json
    assert zhao["reports"] == ["dan", "sun"]
    assert ok("user show sun --json").json["customers"] == ["C1"]
    logins = [u["login"] for u in ok("user list --json").json]
    assert logins == sorted(logins)
    assert {"alice", "bob", "carol", "mgr", "zhao", "sun", "viv", "dan"} == set(logins)
    assert [u["login"] for u in ok("user list --dept sales --json").json] == \
        ["dan", "sun", "zhao"]
    assert [u["login"] for u in ok("user list --role manager --json").json] == \
        ["dan", "mgr", "zhao"]
    csv_out = ok("user list --dept sales --format csv").out.splitlines()
    assert csv_out[0] == "login,name,dept,manager,role,active,email"
    assert csv_out[1].startswith("dan,Dan Wu,sales,zhao,manager,yes,")


def test_user_update_changes_each_attribute(desk):
    updated = ok("user update bob --name 'Bob Lee' --email bl@example.com --dept sales "
                 "--manager zhao --role manager --json").json
    assert (updated["name"], updated["email"], updated["dept"], updated["manager"],
            updated["role"]) == ("Bob Lee", "bl@example.com", "sales", "zhao", "manager")
    cleared = ok("user update bob --dept none --manager none --email '' --json").json
    assert (cleared["dept"], cleared["manager"], cleared["email"]) == (None, None, None)


@pytest.mark.parametrize("args,code,words", [
    ("user add bob --name Again", 5, "already exists"),
    ("user add 'no spaces' --name X", 2, "not a valid login"),
    ("user add dan --name Dan --email not-an-address", 2, "not an e-mail"),
    ("user add dan --name Dan --dept ghost", 3, "no department 'ghost'"),
    ("user add dan --name Dan --manager ghost", 3, "no user 'ghost'"),
    ("user add dan --name Dan --role wizard", 3, "no role 'wizard'"),
    ("user add dan --name Dan --role integration", 2, "access add"),
    ("user update ghost --name X", 3, "no user 'ghost'"),
    ("user update mgr --manager bob", 2, "loop"),
    ("user update bob --manager bob", 2, "loop"),
    ("user update alice --role agent", 5, "last active admin"),
    ("user show ghost", 3, "no user 'ghost'"),
])
def test_user_errors(desk, args, code, words):
    before = ok("user list --all --json").json
    result = run(args)
    assert result.code == code, result
    assert words in result.err
    assert result.out == ""
    assert ok("user list --all --json").json == before


def test_a_second_admin_lets_the_first_step_down(desk):
    ok("user update mgr --role admin")
    assert ok("user update alice --role agent --json").json["role"] == "agent"


def test_deactivated_users_are_listed_with_all_and_can_be_reactivated(desk):
    set_active(desk, "carol", False)
    assert "carol" not in [u["login"] for u in ok("user list --json").json]
    everyone = {u["login"]: u for u in ok("user list --all --json").json}
    assert everyone["carol"]["active"] is False
    assert ok("user update carol --active --json").json["active"] is True
    assert "carol" in [u["login"] for u in ok("user list --json").json]


# --- roles and permissions ------------------------------------------------------------------

def test_builtin_roles_are_listed(desk):
    roles = {r["name"]: r for r in ok("role list --json").json}
    assert {"admin", "manager", "agent", "viewer", "integration"} <= set(roles)
    assert all(roles[n]["builtin"] for n in ("admin", "manager", "agent", "viewer"))
    assert roles["admin"]["permissions"] == ["*"]
    assert "ticket.open" not in roles["viewer"]["permissions"]
    perms = {p["permission"] for p in ok("role list --permissions --json").json}
    assert {"ticket.open", "ticket.view", "user.manage", "type.manage"} <= perms
    shown = ok("role show manager --json").json
    assert shown["users"] == ["mgr", "zhao"]
    assert run("role show wizard").code == 3


def test_custom_role_grants_exactly_its_permissions(desk):
    out = ok("role add dispatcher -p ticket.view,ticket.assign -p ticket.open "
             "--description 'Dispatches the queue' --json").json
    assert out["permissions"] == ["ticket.assign", "ticket.open", "ticket.view"]
    assert out["builtin"] is False
    ok("user add dee --name Dee --role dispatcher")
    assert ok("role show dispatcher --json").json["users"] == ["dee"]
    # what the role holds, it may do
    ok("ticket open --type renewal --title 'By a dispatcher' --customer C1 "
       "--field package=24", as_user="dee")
    who = ok("whoami --json", as_user="dee").json
    assert who["role"] == "dispatcher"
    assert set(who["permissions"]) == {"ticket.view", "ticket.assign", "ticket.open"}
    # what it does not, it may not -- and the message names the permission
    result = run("customer add C9 --name Nine", as_user="dee")
    assert result.code == 4
    assert "permission 'customer.manage' is missing" in result.err
    assert "dee (role dispatcher)" in result.err
    assert run("customer show C9").code == 3


@pytest.mark.parametrize("args,code,words", [
    ("role add x -p ticket.fly", 2, "unknown permission ticket.fly"),
    ("role add agent -p ticket.view", 5, "already exists"),
    ("role add 'two words' -p ticket.view", 2, "not a valid role name"),
])
def test_role_errors(desk, args, code, words):
    result = run(args)
    assert result.code == code, result
    assert words in result.err
    assert [r["name"] for r in ok("role list --json").json if not r["builtin"]] == []


@pytest.mark.parametrize("as_user,args,permission", [
    ("viv", "ticket open --type renewal --title T --customer C1 --field package=12",
     "ticket.open"),
    ("bob", "user add dan --name Dan", "user.manage"),
    ("bob", "user update carol --name Caroline", "user.manage"),
    ("bob", "dept add ops --name Ops", "dept.manage"),
    ("mgr", "dept update support --head bob", "dept.manage"),
    ("bob", "role add r -p ticket.view", "role.manage"),
    ("viv", "customer add C9 --name Nine", "customer.manage"),
    ("viv", "customer update C1 --name Changed", "customer.manage"),
    ("bob", "access add crm --name CRM --types renewal", "access.manage"),
    ("bob", "access list", "access.manage"),
    ("bob", "type add it --name IT", "type.manage"),
    ("mgr", "type update crash --priority low", "type.manage"),
    ("bob", "type disable crash", "type.manage"),
    ("bob", "config set locale zh", "desk.configure"),
])
def test_missing_permissions_are_refused_by_name(desk, as_user, args, permission):
    tickets, users = db_count(desk, "tickets"), db_count(desk, "users")
    result = run(args, as_user=as_user)
    assert result.code == 4, result
    assert f"permission '{permission}' is missing" in result.err
    assert result.out == ""
    assert (db_count(desk, "tickets"), db_count(desk, "users")) == (tickets, users)


def test_customer_import_permission_is_checked_before_reading(desk, tmp_path):
    src = tmp_path / "c.csv"
    src.write_text("key,name\nC9,Nine\n")
    result = run(f"customer import {src}", as_user="viv")
    assert result.code == 4 and "customer.manage" in result.err
    assert db_count(desk, "customers") == 2


# --- customers ------------------------------------------------------------------------------

def test_customer_add_show_list_update(desk):
    assert ok("customer add C3 --name '王芳' --email wf@example.com --phone 13800000003 "
              "--consultant bob --note 'prefers WeChat'").out.strip() == "C3"
    c3 = ok("customer show C3 --json").json
    assert {k: c3[k] for k in ("key", "name", "email", "phone", "consultant", "note")} == {
        "key": "C3", "name": "王芳", "email": "wf@example.com", "phone": "13800000003",
        "consultant": "bob", "note": "prefers WeChat"}
    assert c3["created_at"] == "2026-11-28T09:00:00Z"
    assert [c["key"] for c in ok("customer list --json").json] == ["C1", "C2", "C3"]
    assert [c["key"] for c in ok("customer list --consultant bob --json").json] == ["C3"]
    assert [c["key"] for c in ok("customer list --search 138000 --json").json] == \
        ["C2", "C3"]
    assert [c["key"] for c in ok("customer list --limit 1 --json").json] == ["C1"]
    # several at once, e.g. handing them to a new consultant
    out = ok("customer update C1 C3 --consultant carol", now="2026-11-29T10:00:00Z").out
    assert out.split() == ["C1", "C3"]
    c1 = ok("customer show C1 --json").json
    assert c1["consultant"] == "carol"
    assert c1["name"] == "Zhang Wei" and c1["email"] == "zw@example.com"  # untouched
    assert c1["updated_at"] == "2026-11-29T10:00:00Z"
    assert ok("customer update C1 --consultant none --json").json["consultant"] is None


@pytest.mark.parametrize("args,code,words", [
    ("customer add C1 --name Again", 5, "already exists"),
    ("customer add 'C 9' --name X", 2, "not a valid customer key"),
    ("customer add C9 --name X --email nope", 2, "not an e-mail"),
    ("customer add C9 --name X --consultant ghost", 3, "no user 'ghost'"),
    ("customer show C9", 3, "no customer 'C9'"),
    ("customer update C9 --name X", 3, "no customer 'C9'"),
])
def test_customer_errors(desk, args, code, words):
    result = run(args)
    assert result.code == code, result
    assert words in result.err
    assert db_count(desk, "customers") == 2


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def customers(desk_fixture=None):
    return {c["key"]: c for c in ok("customer list --json").json}


def test_customer_import_csv(desk, tmp_path):
    src = write(tmp_path, "people.csv",
                "\ufeffkey,name,email,phone,consultant,note\n"
                "C3,张三,z3@example.com,13900000003,sun,\n"
                "C4,\"Li, Si\",,,,VIP\n")
    result = ok(f"customer import {src} --json").json
    assert result == {"added": 2, "updated": 0, "skipped": 0}
    got = customers()
    assert got["C3"]["name"] == "张三" and got["C3"]["consultant"] == "sun"
    assert got["C4"]["name"] == "Li, Si" and got["C4"]["email"] is None
    assert got["C4"]["note"] == "VIP"
    # importing again skips what exists
    assert ok(f"customer import {src}").out.strip() == "added 0, updated 0, skipped 2"


def test_customer_import_json_array_and_jsonl(desk, tmp_path):
    array = write(tmp_path, "a.json", json.dumps([
        {"key": "C5", "name": "Five", "consultant": "bob"},
        {"key": "C6", "name": "Six", "phone": "123"}]))
    assert ok(f"customer import {array} --json").json["added"] == 2
    lines = write(tmp_path, "b.jsonl", '{"key": "C7", "name": "Seven"}\n\n'
                                       '{"key": "C8", "name": "Eight"}\n')
    assert ok(f"customer import {lines} --json").json["added"] == 2
    got = customers()
    assert got["C5"]["consultant"] == "bob" and got["C6"]["phone"] == "123"
    assert {"C7", "C8"} <= set(got)


def test_customer_import_from_stdin_guesses_the_format(desk):
    ok("customer import -", input='[{"key": "J1", "name": "From JSON"}]')
    ok("customer import -", input='{"key": "L1", "name": "From JSONL"}\n')
    ok("customer import -", input="key,name\nV1,From CSV\n")
    ok("customer import - --format jsonl", input='{"key": "L2", "name": "Explicit"}\n')
    assert {"J1", "L1", "V1", "L2"} <= set(customers())


def test_customer_import_update_changes_only_given_columns(desk, tmp_path):
    src = write(tmp_path, "u.csv", "key,name\nC1,Zhang Wei (parent)\nC9,New\n")
    result = ok(f"customer import {src} --update --json").json
    assert result == {"added": 1, "updated": 1, "skipped": 0}
    c1 = customers()["C1"]
    assert c1["name"] == "Zhang Wei (parent)"
    assert c1["email"] == "zw@example.com" and c1["consultant"] == "sun"


@pytest.mark.parametrize("name,text,words", [
    ("bad.csv", "key,name,email\nC3,Three,\nC4,Four,not-mail\nC5,Five,\n",
     "record 3: 'not-mail' is not an e-mail address"),
    ("bad.csv", "key,name,consultant\nC3,Three,\nC4,Four,ghost\n", "record 3: no user"),
    ("bad.csv", "key,name\nC3,Three\nC4,\n", "record 3: key and name are required"),
    ("bad.csv", "key,name,shoe_size\nC3,Three,42\n", "unknown column shoe_size"),
    ("bad.csv", "key,name\nC3,Three\nC3,Again\n", "appears twice"),
    ("bad.csv", "key,name\nC3,Three,extra\n", "more cells than the header"),
    ("bad.json", '[{"key": "C3", "name": "Three"}, 7]', "record 2: expected an object"),
    ("bad.json", '{"key": "C3"}', "expected a JSON array"),
    ("bad.jsonl", '{"key": "C3", "name": "Three"}\n{"key": \n', "line 2: not valid JSON"),
])
def test_customer_import_is_all_or_nothing(desk, tmp_path, name, text, words):
    src = write(tmp_path, name, text)
    result = run(f"customer import {src}")
    assert result.code in (2, 3), result
    assert words in result.err
    assert result.out == ""
    assert set(customers()) == {"C1", "C2"}


# --- access clients -------------------------------------------------------------------------

def test_access_add_list_revoke(desk):
    assert ok("access add crm --name 'CRM system' --types renewal").out.strip() == "crm"
    listed = ok("access list --json").json
    assert [(a["key"], a["name"], a["types"], a["active"]) for a in listed] == [
        ("crm", "CRM system", ["renewal"], True)]
    # adding again replaces the grants
    again = ok("access add crm --name 'CRM system' --types renewal,crash --json").json
    assert again["types"] == ["crash", "renewal"]
    # clients are not staff
    assert "crm" not in [u["login"] for u in ok("user list --all --json").json]
    revoked = ok("access revoke crm --json").json
    assert revoked["active"] is False and revoked["revoked_at"] == "2026-11-28T09:00:00Z"
    assert ok("access list --json").json == []
    assert [a["key"] for a in ok("access list --all --json").json] == ["crm"]


@pytest.mark.parametrize("args,code,words", [
    ("access add crm --name CRM --types ghost", 3, "no ticket type 'ghost'"),
    ("access add bob --name Bob --types renewal", 5, "staff user"),
    ("access revoke ghost", 3, "no access client 'ghost'"),
    ("access revoke bob", 3, "no access client 'bob'"),
])
def test_access_errors(desk, args, code, words):
    result = run(args)
    assert result.code == code, result
    assert words in result.err


def test_access_client_opens_only_granted_types(desk):
    ok("access add crm --name CRM --types renewal")
    opened = ok("ticket open --type renewal --title 'Renewal due' --customer C1 "
                "--field package=24 --json", as_user="crm").json
    assert opened["opened_by"] == "crm"
    assert opened["source"] == "access:crm"
    result = run("ticket open --type crash --title X --field phone_model=x --field os=iOS",
                 as_user="crm")
    assert result.code == 4
    assert "crash" in result.err and "granted" in result.err
    assert db_count(desk, "tickets") == 1


def test_access_client_sees_only_its_own_tickets(desk):
    ok("access add crm --name CRM --types renewal")
    ok("access add erp --name ERP --types renewal")
    staff = ok("ticket open --type renewal --title 'By staff' --customer C1 "
               "--field package=12 --json").json["id"]
    mine = ok("ticket open --type renewal --title 'By CRM' --customer C1 --field package=12 "
              "--json", as_user="crm").json["id"]
    theirs = ok("ticket open --type renewal --title 'By ERP' --customer C1 "
                "--field package=12 --json", as_user="erp").json["id"]
    assert [t["id"] for t in ok("ticket list --json", as_user="crm").json] == [mine]
    assert [t["id"] for t in ok("ticket list --json", as_user="erp").json] == [theirs]
    assert len(ok("ticket list --json").json) == 3  # staff see every ticket
    assert ok(f"ticket show {mine} --json", as_user="crm").json["title"] == "By CRM"
    for other in (staff, theirs):
        result = run(f"ticket show {other}", as_user="crm")
        assert result.code == 3, result
        assert "By " not in result.err  # nothing about the hidden ticket leaks
    shown = ok(f"ticket show {mine} --json", as_user="crm").json
    assert all(e["visibility"] == "public" for e in shown["events"])


def test_revoked_access_client_is_refused(desk):
    ok("access add crm --name CRM --types renewal")
    ok("access revoke crm")
    result = run("ticket open --type renewal --title T --customer C1 --field package=12",
                 as_user="crm")
    assert result.code == 4
    assert "access client 'crm' is deactivated" in result.err
    assert db_count(desk, "tickets") == 0
    # granting again brings it back
    ok("access add crm --name CRM --types renewal")
    ok("ticket list", as_user="crm")


# --- who is acting --------------------------------------------------------------------------

def whoami(**kwargs):
    return ok("whoami --json", **kwargs).json


def test_identity_as_beats_environment(desk):
    who = whoami(as_user="carol", env={})
    assert (who["login"], who["identity_from"]) == ("carol", "$DESKCLI_USER")
    who = ok("--as bob whoami --json", as_user="carol").json
    assert (who["login"], who["identity_from"]) == ("bob", "--as")


def test_identity_environment_beats_config_beats_os_login(desk):
    ok("config set user mgr")
    who = whoami(as_user="carol")
    assert who["login"] == "carol"
    who = whoami(as_user=None)
    assert who["login"] == "mgr"
    assert who["identity_from"].endswith("config.toml")
    ok("config unset user")
    who = whoami(as_user=None, env={"LOGNAME": "sun", "USER": "sun"})
    assert (who["login"], who["identity_from"]) == ("sun", "the OS login")


def test_unknown_identity_is_refused_with_its_source(desk):
    result = run("ticket list", as_user=None)  # the OS login: nobody-here
    assert result.code == 4
    assert "unknown user 'nobody-here' (from the OS login)" in result.err
    assert "--as LOGIN" in result.err
    result = run("--as ghost ticket list")
    assert result.code == 4
    assert "'ghost' (from --as)" in result.err
    result = run("ticket list", as_user="ghost")
    assert "(from $DESKCLI_USER)" in result.err


def test_deactivated_user_is_refused(desk):
    set_active(desk, "bob", False)
    for args in ("whoami", "ticket list",
                 "ticket open --type renewal --title T --customer C1 --field package=12"):
        result = run(args, as_user="bob")
        assert result.code == 4, result
        assert "user 'bob' is deactivated" in result.err
    assert db_count(desk, "tickets") == 0


def test_nobody_grants_a_role_above_their_own(desk):
    ok("role add usermgr -p user.manage,ticket.view,faq.view,report.view")
    ok("user add hr --name 'HR person' --role usermgr")
    refused = run("user update hr --role admin", as_user="hr")
    assert refused.code == 4
    assert "may not grant the role admin" in refused.err
    assert run("user add boss --name Boss --role manager", as_user="hr").code == 4
    assert run("user update mgr --role agent", as_user="hr").code == 4  # taking a role away
    ok("user add intern --name Intern --role viewer", as_user="hr")  # viewer's are all held


def test_access_clients_do_not_see_the_desks_people(desk):
    ok("access add sales --name Sales --types renewal")
    for command in ("user list", "customer list", "dept list", "user show bob",
                    "customer show C1", "role list"):
        result = run(command, as_user="sales")
        assert result.code == 4, command
        assert "access client sales may not" in result.err
