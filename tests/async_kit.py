"""Which thread ran what: a profiler in every thread, for the "no thread hop" tests."""

import sys
import threading
from collections import defaultdict
from contextlib import contextmanager

from asgiref.sync import SyncToAsync

from oauthcore.resource_server import access_tokens, denylist

WATCHED = {
    access_tokens.decode.__code__: "decode",
    denylist.is_denied.__code__: "is_denied",
    SyncToAsync.__call__.__code__: "sync_to_async",
}


@contextmanager
def threads_of_calls():
    """Record {function: [thread ident of each call]} for the watched functions, in every thread.

    A coroutine's frame is "called" again at each resumption: each frame counts once.
    """
    frames = defaultdict(dict)
    seen = defaultdict(list)

    def profiler(frame, event, arg):
        if event == "call" and frame.f_code in WATCHED and id(frame) not in frames[frame.f_code]:
            frames[frame.f_code][id(frame)] = frame  # kept alive: ids stay unique
            seen[WATCHED[frame.f_code]].append(threading.get_ident())

    threading.setprofile(profiler)  # the event loop's thread starts inside
    sys.setprofile(profiler)
    try:
        yield seen
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
