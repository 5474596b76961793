"""Operating-system users: who owns the workspace, who owns the state, and whether each can reach its part."""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from assay.errors import UserError


@dataclass(frozen=True)
class Account:
    """A user as the kernel sees it: uid, primary gid and supplementary groups."""

    uid: int
    gid: int
    groups: frozenset[int]
    name: str


def resolve(spec: str) -> Account:
    """`NAME`, `UID` or `UID:GID`. A bare uid without a passwd entry gets the gid of the same number.

    Raises:
        UserError: no such user, or a malformed spec.
    """
    uid_text, _, gid_text = spec.partition(":")
    try:
        entry = pwd.getpwuid(int(uid_text)) if uid_text.isdigit() else pwd.getpwnam(uid_text)
    except KeyError:
        entry = None
    if entry is None and not uid_text.isdigit():
        raise UserError(f"no such user: {uid_text}")
    if gid_text and not gid_text.isdigit():
        raise UserError(f"a user is NAME, UID or UID:GID, got {spec!r}")
    uid = entry.pw_uid if entry else int(uid_text)
    gid = int(gid_text) if gid_text else (entry.pw_gid if entry else uid)
    groups = {gid, *(os.getgrouplist(entry.pw_name, gid) if entry else ())}
    return Account(uid=uid, gid=gid, groups=frozenset(groups), name=entry.pw_name if entry else str(uid))


def current() -> Account:
    uid, gid = os.geteuid(), os.getegid()
    return Account(uid=uid, gid=gid, groups=frozenset({gid, *os.getgroups()}), name=str(uid))


def _allowed(st: os.stat_result, who: Account, bits: int) -> bool:
    """Whether the mode grants `bits` (an rwx triple, 0-7) to `who`, the way the kernel picks the class."""
    if who.uid == 0:
        return True
    if st.st_uid == who.uid:
        return (st.st_mode >> 6) & bits == bits
    if st.st_gid in who.groups:
        return (st.st_mode >> 3) & bits == bits
    return st.st_mode & bits == bits


def unreachable(path: Path, who: Account, write: bool = False) -> str | None:
    """Why `who` cannot reach `path` (every ancestor searchable; the path itself searchable, or writable with
    `write`), or None when it can. Mode bits only: ACLs and mandatory access control are not consulted."""
    path = path.resolve()
    for ancestor in reversed(path.parents):
        st = ancestor.stat()
        if not _allowed(st, who, 0o1):
            mode = stat.S_IMODE(st.st_mode)
            return f"{ancestor} (mode {mode:04o}, owner {st.st_uid}) is not searchable by {who.name}"
    st = path.stat()
    bits = 0o3 if write else 0o1
    if not _allowed(st, who, bits):
        what = "writable" if write else "searchable"
        return f"{path} (mode {stat.S_IMODE(st.st_mode):04o}, owner {st.st_uid}) is not {what} by {who.name}"
    return None


def hand_over(root: Path, who: Account, dir_mode: int, file_mode: int, executable: tuple[str, ...] = ()) -> None:
    """Give `root` and everything under it to `who` with the given modes (`executable` files get 0o755 / 0o700).

    Raises:
        UserError: this process may not give files away (only root may).
    """
    try:
        for dirpath, _dirnames, filenames in os.walk(root):
            os.chown(dirpath, who.uid, who.gid)
            os.chmod(dirpath, dir_mode)
            for name in filenames:
                path = os.path.join(dirpath, name)
                os.chown(path, who.uid, who.gid, follow_symlinks=False)
                mode = (dir_mode if name in executable else file_mode) if dirpath == str(root) else file_mode
                os.chmod(path, mode)
    except PermissionError:
        raise UserError(f"cannot give {root} to {who.name}: only root may give files to another user") from None
