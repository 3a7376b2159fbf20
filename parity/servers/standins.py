"""Stand-in images for Docker hosts with no registry: a debootstrap Debian base plus the wheels' own servers."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from parity import families
from parity.errors import ParityUsageError

# Tagged under a local prefix so TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX=parity-local/ turns the official names
# (redis:8.2, postgres:18) into these without touching any option.
PREFIX = "parity-local/"
BASE = PREFIX + "base:bookworm"
LABEL = "org.checkpoint-parity.standin"
UID = 999  # the official images run their servers as uid 999 too
# `docker save` of each built stand-in, so an engine with a fresh data root loads it in seconds instead of
# running debootstrap again (a second engine on this machine gets a private data root: .ci/docker-engine.sh).
CACHE = Path(os.environ.get("PARITY_IMAGE_CACHE") or Path.home() / ".cache" / "checkpoint-parity" / "images")


def _tag(family: str) -> str:
    return PREFIX + families.get(family).container_image


def images() -> dict[str, str]:
    """{family: stand-in tag} of every family that has a stand-in (Family.standin)."""
    return {name: _tag(name) for name in families.names() if families.get(name).has_standin}


def _files(family: str) -> tuple[str, str, dict[str, Path]]:
    """(Dockerfile, entrypoint, {path in context: source}) of a family's stand-in."""
    return families.get(family).standin(BASE, UID)


def _digest(dockerfile: str, entrypoint: str, sources: dict[str, Path]) -> str:
    """What the image is made of: its texts and the size and mtime of each copied file (a new wheel = new image)."""
    h = hashlib.sha256((dockerfile + entrypoint).encode())
    for name, src in sorted(sources.items()):
        for f in sorted(src.rglob("*")) if src.is_dir() else [src]:
            st = f.stat()
            h.update(f"{name}:{f.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def _has(client, tag: str, digest: str | None = None) -> bool:
    import docker

    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return digest is None or (image.labels or {}).get(LABEL) == digest


def build_base(client) -> None:
    """A minimal Debian (debootstrap --variant=minbase) imported as an image, with the uid-999 server user."""
    if _has(client, BASE):
        return
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise ParityUsageError(f"stand-in base image {BASE} is missing and cannot be built here",
                               "run as root with debootstrap installed (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="parity-rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        out = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(root), "http://deb.debian.org/debian"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise ParityUsageError(f"debootstrap failed: {(out.stdout + out.stderr).strip()[-300:]}",
                                   "check that deb.debian.org is reachable")
        with open(root / "etc/passwd", "a") as fh:
            fh.write(f"server:x:{UID}:{UID}:server:/data:/usr/sbin/nologin\n")
        with open(root / "etc/group", "a") as fh:
            fh.write(f"server:x:{UID}:\n")
        for d, mode in _owned_dirs().items():
            (root / d).mkdir(parents=True, exist_ok=True)
            os.chown(root / d, UID, UID)
            os.chmod(root / d, mode)
        tar = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(tar), "."], check=True)
        repo, tag = BASE.rsplit(":", 1)
        client.api.import_image_from_file(str(tar), repository=repo, tag=tag)


def _owned_dirs() -> dict[str, int]:
    """Folders of the base owned by the server user, {path: mode}: /data, and what each family's stand-in asks
    (Family.standin_dirs; a Postgres data directory must be 0700). The base is built once: a family installed
    later whose folder is missing creates it in its own Dockerfile."""
    dirs = {"data": 0o755}
    for name in families.names():
        if families.get(name).has_standin:
            dirs.update(families.get(name).standin_dirs)
    return dirs


def build(client, family: str) -> str:
    """The stand-in image of a family, built unless an image from the same files is there already."""
    dockerfile, entrypoint, sources = _files(family)
    digest = _digest(dockerfile, entrypoint, sources)
    tag = _tag(family)
    saved = CACHE / f"{tag.replace('/', '_').replace(':', '_')}-{digest}.tar"
    if _has(client, tag, digest):
        if not saved.exists():  # built before the cache existed, or the cache was cleared
            _save(client, tag, saved)
        return tag
    if saved.exists():
        with open(saved, "rb") as fh:
            client.images.load(fh)
        if _has(client, tag, digest):
            return tag
    build_base(client)
    with tempfile.TemporaryDirectory(prefix=f"parity-ctx-{family}-") as ctx:
        for name, src in sources.items():
            dest = Path(ctx) / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(src, dest) if src.is_dir() else shutil.copy2(src, dest)
        (Path(ctx) / "Dockerfile").write_text(dockerfile)
        ep = Path(ctx) / "entrypoint.sh"
        ep.write_text(entrypoint)
        ep.chmod(0o755)
        # network_mode none: nothing in the build needs a network, and the engine here has no bridge.
        client.images.build(path=ctx, tag=tag, labels={LABEL: digest}, network_mode="none", rm=True, forcerm=True)
    _save(client, tag, saved)
    return tag


def _save(client, tag: str, path: Path) -> None:
    """The built image into the per-user cache, whole or not at all: a full or unwritable cache is one line (exit 2)
    naming it, and no .part file is left."""
    from parity.files import make_dir, unwritable

    fix = "set PARITY_IMAGE_CACHE to a folder you can write"
    make_dir(path.parent, fix)
    tmp = path.with_suffix(".part")
    try:
        for old in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.tar"):
            old.unlink(missing_ok=True)  # an older build of the same image
        with open(tmp, "wb") as fh:
            for chunk in client.images.get(tag).save(named=True):
                fh.write(chunk)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise unwritable(path, exc, fix) from None


def build_all(client) -> dict[str, str]:
    return {family: build(client, family) for family in images()}


def early_ready_image(client, family: str) -> str:
    """A family's stand-in that prints a ready line seconds before it listens (readiness must not trust logs)."""
    base = build(client, family)
    tag = PREFIX + f"{family}-early-ready:test"
    text = (f"FROM {base}\nENTRYPOINT [\"/bin/bash\", \"-c\", "
            "\"echo 'Ready to accept connections tcp'; sleep 4; exec /entrypoint.sh \\\"$@\\\"\", \"--\"]\n")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    if not _has(client, tag, digest):
        fileobj = io.BytesIO()
        with tarfile.open(fileobj=fileobj, mode="w") as tar:
            data = text.encode()
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        fileobj.seek(0)
        client.images.build(fileobj=fileobj, custom_context=True, tag=tag, labels={LABEL: digest},
                            network_mode="none", rm=True)
    return tag


if __name__ == "__main__":
    import docker

    print(build_all(docker.from_env()))
