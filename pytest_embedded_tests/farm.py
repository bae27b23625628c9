# SPDX-License-Identifier: MIT
"""The places of a labgrid environment, held for one test session.

labgrid's pytest plugin (`pytest --lg-env ENV.yaml`) builds the targets of
the environment, but a RemotePlace must be acquired first, and the plugin
leaves that to the user (`labgrid-client acquire`). The session does it
here, through labgrid's own client API (a ClientSession of the
coordinator): it waits while another user holds a place, then fails naming
the holder; it names the coordinator's address when it cannot reach it; and
it releases what it acquired at the end, after failures and Ctrl-C too
(conftest.py's `_labgrid_places`).

The coordinator takes one client stream per connection, and gRPC shares
one connection among a process's channels to the same address: a second
ClientSession in the process is refused. So the session made here is the
one labgrid's RemotePlaceManager then uses for the targets' RemotePlaces.
"""

import argparse
import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from labgrid import Environment
from labgrid.factory import target_factory
from labgrid.remote.client import ClientSession, Error, start_session
from labgrid.resource.remote import RemotePlaceManager

T = TypeVar("T")

DEFAULT_COORDINATOR = "127.0.0.1:20408"  # labgrid's own default (RemotePlaceManager)


class FarmError(Exception):
    pass


def coordinator_address(env: Environment) -> str:
    """The coordinator the environment's RemotePlaces use, as labgrid picks it:
    --lg-coordinator (the plugin sets the option), else $LG_COORDINATOR."""
    return str(env.config.get_option("coordinator_address",
                                     os.environ.get("LG_COORDINATOR", DEFAULT_COORDINATOR)))


def place_names(env: Environment) -> list[str]:
    """The names of the RemotePlaces of every target in the environment."""
    names = []
    for target_config in env.config.get_targets().values():
        resources, _ = target_factory.normalize_config(target_config)
        names += list(resources.get("RemotePlace", {}))
    return names


class Places:
    """The environment's places, acquired with acquire() and released with
    release() by this process's user (labgrid's $LG_USERNAME, else the login)."""

    def __init__(self, env: Environment, wait: float, log: Callable[[str], None] = print):
        self.address = coordinator_address(env)
        self.names = place_names(env)
        self.wait = wait
        self.log = log
        self.acquired: list[str] = []
        self._session: ClientSession | None = None

    def _connect(self) -> ClientSession:
        if self._session is None:
            manager = RemotePlaceManager.get()
            if manager.session is None:
                try:
                    session = start_session(self.address)
                except Exception as e:  # gRPC's UNAVAILABLE, labgrid's ServerError, a bad address
                    raise FarmError(f"cannot reach the labgrid coordinator at {self.address}: "
                                    f"{e or type(e).__name__}; is labgrid-coordinator running there, and the port "
                                    "open? (--lg-coordinator or LG_COORDINATOR)") from None
                # What RemotePlaceManager._start() would do when labgrid builds the first RemotePlace.
                manager.url, manager.session, manager.loop = self.address, session, session.loop
            self._session = manager.session
        return self._session

    def _run(self, session: ClientSession, coroutine: Coroutine[Any, Any, T]) -> T:
        result: T = session.loop.run_until_complete(coroutine)
        return result

    def acquire(self) -> None:
        """Acquire every place; while another user holds one, look again
        each second until `wait` seconds have passed, then fail naming the
        holder."""
        session = self._connect()
        me = f"{session.gethostname()}/{session.getuser()}"
        for name in self.names:
            deadline = time.monotonic() + self.wait
            announced = False
            while True:
                try:
                    place = session.get_place(name)
                except Error as e:
                    raise FarmError(f"labgrid coordinator {self.address}: {e}") from None
                holder = place.acquired
                if holder is None:
                    session.args = argparse.Namespace(place=name, allow_unmatched=False)
                    try:
                        self._run(session, session.acquire())
                    except Error:
                        # Taken between our look and our request? Look again; anything else is an error.
                        self._run(session, session.sync_with_coordinator())
                        if session.get_place(name).acquired in (None, me):
                            raise
                        continue
                    self.acquired.append(name)
                    break
                if holder == me:
                    raise FarmError(f"place {name!r} at {self.address} is already acquired by this user ({me}): "
                                    f"release it first (labgrid-client -p {name} release)")
                if time.monotonic() >= deadline:
                    raise FarmError(f"place {name!r} at {self.address} is held by {holder}; waited {self.wait:g} s "
                                    "(--sharedmem-place-wait)")
                if not announced:
                    self.log(f"labgrid: place {name!r} is held by {holder}; waiting up to {self.wait:g} s")
                    announced = True
                self._run(session, asyncio.sleep(min(1.0, max(deadline - time.monotonic(), 0.05))))

    def release(self) -> None:
        """Release what acquire() acquired; then close the connection."""
        session = self._session
        if session is None:
            return
        errors = []
        while self.acquired:
            name = self.acquired.pop()
            session.args = argparse.Namespace(place=name, kick=False)
            try:
                self._run(session, session.release())
            except Exception as e:
                errors.append(f"{name}: {e}")
        try:
            self._run(session, session.stop())
            self._run(session, session.close())
        finally:
            self._session = None
            manager = RemotePlaceManager.get()
            if manager.session is session:
                manager.session = manager.loop = None
        if errors:
            raise FarmError(f"labgrid coordinator {self.address}: releasing failed: {'; '.join(errors)}")
