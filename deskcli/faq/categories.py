"""FAQ categories (问题类型, SPEC §7): a tree of paths like 账号与登录/微信登录, named by
their path or, when unique, their own name."""

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound
from deskcli.policy import require
from deskcli.store import Store
from deskcli.store import faq as fs


def category_path(text: str) -> str:
    """'A / B' -> 'A/B'; refuses empty parts."""
    parts = [" ".join(p.split()) for p in (text or "").split("/")]
    if not parts or any(not p for p in parts):
        raise Invalid(f"{text!r} is not a category name",
                      "name it like 账号与登录, or a subcategory like 账号与登录/微信登录")
    return "/".join(parts)


def category_add(desk: Desk, name: str, parent: str | None = None) -> dict:
    """Add a category; `name` may be a path (A/B) and parents are created as needed."""
    require(desk.actor, "faq.manage", "change the FAQ")
    path = category_path(f"{category_path(parent)}/{name}" if parent else name)
    with desk.store.write():
        if fs.category_by_path(desk.store, path):
            raise Conflict(f"the FAQ category {path!r} already exists",
                           "see `deskcli faq category list`")
        find_category(desk.store, path, create=True)
        return next(c for c in category_list_in(desk.store) if c["path"] == path)


def category_list(desk: Desk) -> list[dict]:
    require(desk.actor, "faq.view", "read the FAQ")
    with desk.store.read():
        return category_list_in(desk.store)


def category_list_in(db: Store) -> list[dict]:
    rows = fs.categories(db)
    children: dict = {}
    for r in rows:
        children.setdefault(r["parent_id"], []).append(r["id"])
    own = {r["id"]: r["own"] for r in rows}

    def total(cid):
        return own[cid] + sum(total(c) for c in children.get(cid, ()))

    return [{"path": r["path"], "name": r["name"], "parent": r["parent"],
             "entries": total(r["id"]), "own_entries": r["own"],
             "created_at": r["created_at"]} for r in rows]


def category_rename(desk: Desk, ref: str, new: str) -> dict:
    """Rename a category (NEW is a name: same parent) or move it (NEW is a path A/B: missing
    parents are created); its subcategories and entries go with it."""
    require(desk.actor, "faq.manage", "change the FAQ")
    db = desk.store
    with db.write():
        row = fs.category_by_id(db, find_category(db, ref, create=False))
        old = row["path"]
        parent = old.rpartition("/")[0]
        target = category_path(new) if "/" in new else \
            category_path(f"{parent}/{new}" if parent else new)
        if target == old:
            return next(c for c in category_list_in(db) if c["path"] == old)
        if fs.category_by_path(db, target):
            raise Conflict(f"the FAQ category {target!r} already exists",
                           f"to merge {old!r} into it: deskcli faq category remove '{old}' "
                           f"--to '{target}'")
        if target.startswith(old + "/"):
            raise Invalid(f"cannot move {old!r} into its own subcategory {target!r}")
        new_parent, _, name = target.rpartition("/")
        parent_id = find_category(db, new_parent, create=True) if new_parent else None
        fs.move_category(db, row["id"], parent_id, name, old, target)
        return next(c for c in category_list_in(db) if c["path"] == target)


def category_remove(desk: Desk, ref: str, to: str | None = None) -> dict:
    """Remove a category that has no subcategories; its entries must go elsewhere first
    (`to`: moved into that category)."""
    require(desk.actor, "faq.manage", "change the FAQ")
    db = desk.store
    with db.write():
        category_id = find_category(db, ref, create=False)
        path = fs.category_by_id(db, category_id)["path"]
        subs = fs.children(db, category_id)
        if subs:
            raise Conflict(f"the FAQ category {path!r} has subcategories: {', '.join(subs)}",
                           "remove them first, or move them with `deskcli faq category "
                           "rename`")
        moved, target = 0, None
        if to is not None:
            target_id = find_category(db, to, create=False)
            if target_id == category_id:
                raise Invalid(f"cannot move {path!r}'s entries into itself")
            target = fs.category_by_id(db, target_id)["path"]
            moved = fs.move_entries(db, category_id, target_id)
        left = fs.entries(db, category_ids=[category_id], limit=1)
        if left:
            raise Conflict(f"the FAQ category {path!r} still holds entries",
                           f"move them with --to CATEGORY, e.g. deskcli faq category remove "
                           f"'{path}' --to OTHER")
        fs.delete_category(db, category_id)
        return {"path": path, "removed": True, "moved_entries": moved, "moved_to": target}


def find_category(db: Store, text: str, *, create: bool, created: list | None = None) -> int:
    """The id of a category named by its path, or by its own name when that is unique;
    with `create`, a missing path is created (parents too) and listed in `created`."""
    path = category_path(text)
    row = fs.category_by_path(db, path)
    if row is not None:
        return row["id"]
    if "/" not in path:
        named = fs.categories_named(db, path)
        if len(named) == 1:
            return named[0]["id"]
        if len(named) > 1:
            raise Invalid(f"several FAQ categories are called {path!r}: "
                          f"{', '.join(r['path'] for r in named)}", "name it by its path")
    if not create:
        raise NotFound(f"no FAQ category {path!r}",
                       f"see `deskcli faq category list`, or add it: "
                       f"deskcli faq category add '{path}'")
    parent_id = None
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        sub = "/".join(parts[:depth])
        row = fs.category_by_path(db, sub)
        if row is None:
            parent_id = fs.insert_category(db, parent_id, parts[depth - 1], sub, clock.stamp())
            if created is not None:
                created.append(sub)
        else:
            parent_id = row["id"]
    return parent_id


def category_ids(db: Store, text: str) -> list[int]:
    """A category and its subcategories (for filters)."""
    return fs.subtree_ids(db, find_category(db, text, create=False))
