"""Pickles signed with this user account's key: saved models and burnt-in states.

A pickle can run code when it is loaded, so we load only pickles that carry an HMAC made with
this user's own key (``~/.cache/community-response-sim/burn_in.key``, created 0600 on first
use; ``$XDG_CACHE_HOME`` moves it). A file handed over by someone else does not carry it.

:func:`save_model` / :func:`load_model` are :meth:`sim.CommunityModel.save` and ``load``. Their
file is a header line (format, code version), the HMAC and the pickle. ``trust=True`` loads a
file whose signature does not match (another account's, another machine's): only for files you
are sure of, since it runs code like any pickle.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import pickle
import secrets
import tempfile
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger("sim.signed")

DIGEST = hashlib.sha256().digest_size
KEY_BYTES = 32
MODEL_MAGIC = b"community-response-sim model "
# The state a saved model holds. 2: GP practices hold partnership hours and GP-VCSE ties carry
# their last use and the locality officer keeping them up; a format-1 save lacks them and
# cannot continue. 3: volunteers hold the management hours booked on the application or
# induction they wait for (``Population.vwork_hours``). 4: groups read their management hours
# and hours per application from their kind each day (a per-group ``kind_scale``), link
# workers their travel speed at each visit (a format-3 save holds the old copies). 5: groups
# built from an organisation table and district-scaled LIOs hold a live view of their kind's
# parameters (``sim.agents.group_params``), no longer a copy made at build and a
# ``kind_scale`` (a format-4 save holds the copies, which a ``set_parameter`` event misses),
# and every group keeps the full funding its year's money was set from (``full_funding``).
# 6: the configuration has ``intermediaries.p_unplaced_sent_to_gp`` and the model the
# residents told to see their GP (``gp_advised``); a format-5 save has neither, and would
# fail on its first day.
MODEL_FORMAT = 6


class UntrustedFile(ValueError):
    """A saved model that this user's key did not sign (or that is damaged)."""


def cache_root() -> Path:
    """The user's cache folder for this package (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "community-response-sim"


def user_key() -> bytes:
    """This user's signing key, made on first use: written whole to a private temporary file
    and linked into place, so no process ever reads a partial key."""
    path = cache_root() / "burn_in.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".burn_in.key.", dir=path.parent)  # 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(KEY_BYTES))
            try:
                os.link(tmp, path)  # fails if another process linked its key first
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise OSError(f"{path} is not a {KEY_BYTES}-byte key; remove it to make a new one")
    return key


def sign(body: bytes) -> bytes:
    """``body`` with this user's HMAC in front."""
    return hmac.new(user_key(), body, hashlib.sha256).digest() + body


def verify(blob: bytes) -> bytes | None:
    """The body of a blob made by :func:`sign` with this user's key, else None."""
    tag, body = blob[:DIGEST], blob[DIGEST:]
    try:
        key = user_key()
    except OSError:
        return None
    if not hmac.compare_digest(tag, hmac.new(key, body, hashlib.sha256).digest()):
        return None
    return body


def save_model(model: Any, path: Path) -> Path:
    """Write ``model`` to ``path`` atomically: header line, HMAC, pickle."""
    from sim.burn_in import code_version
    from sim.io import atomic_write

    header = MODEL_MAGIC + json.dumps({"format": MODEL_FORMAT, "code": code_version()},
                                      sort_keys=True).encode() + b"\n"
    body = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    return atomic_write(path, header + sign(body))


def load_model(path: Path, *, trust: bool = False) -> Any:
    """The model in a file written by :func:`save_model` (see the module docstring)."""
    from sim.burn_in import code_version

    blob = path.read_bytes()
    line, sep, rest = blob.partition(b"\n")
    if not (line.startswith(MODEL_MAGIC) and sep):
        raise UntrustedFile(f"{path} is not a model saved by CommunityModel.save")
    try:
        header = json.loads(line[len(MODEL_MAGIC):])
    except ValueError as exc:
        raise UntrustedFile(f"{path} has a damaged header") from exc
    if header.get("format") != MODEL_FORMAT:
        raise UntrustedFile(f"{path} is format {header.get('format')!r}; this version reads "
                            f"format {MODEL_FORMAT} only (the model's state changed): run it "
                            "again from its configuration")
    body = verify(rest)
    if body is None:
        if not trust:
            raise UntrustedFile(
                f"{path} was not saved by this user account (its signature does not match "
                "this account's key), or it was changed since. Loading a pickle runs code: "
                "pass trust=True only for a file you are sure of")
        body = rest[DIGEST:]
    if header.get("code") != code_version():
        warnings.warn(f"{path} was saved by a different version of the model code; it may "
                      "not continue as it would have", RuntimeWarning, stacklevel=3)
    return pickle.loads(body)  # noqa: S301 - signed by this user, or trusted by the caller
