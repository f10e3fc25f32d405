"""World clock with a settable offset (control API: /_world/clock).

moto gap: moto reads the wall clock directly (moto.core.utils.utcnow/unix_time,
datetime.now in quicksight/s3, time.time in cognito-idp), so nothing
time-dependent (PITR windows, STS credential expiry, backup creation times,
URL expiry) can be tested without waiting.  `install()` rebinds the clock
sources moto's modules use so they all read `now()`, i.e. real time plus a
world-wide offset.
"""

import datetime as _dt
import sys
import threading
import time as _time

_real_datetime = _dt.datetime
_real_time = _time.time
_lock = threading.Lock()
_offset = 0.0


def offset() -> float:
    return _offset


def set_offset(seconds: float) -> None:
    global _offset
    with _lock:
        _offset = float(seconds)


def now() -> float:
    """Seconds since the epoch, world time."""
    return _real_time() + _offset


def utcnow_naive() -> _dt.datetime:
    return _real_datetime.utcfromtimestamp(now())


def utcnow_aware() -> _dt.datetime:
    return _real_datetime.fromtimestamp(now(), _dt.timezone.utc)


class _DatetimeMeta(type):
    # Keep isinstance()/issubclass() against the patched name working for
    # real datetime objects (everything we return is a real datetime).
    def __instancecheck__(cls, obj):
        return isinstance(obj, _real_datetime)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, _real_datetime)


class OffsetDatetime(_real_datetime, metaclass=_DatetimeMeta):
    """datetime.datetime whose now()/utcnow()/today() honour the world offset."""

    @classmethod
    def now(cls, tz=None):
        return _real_datetime.fromtimestamp(now(), tz)

    @classmethod
    def utcnow(cls):
        return utcnow_naive()

    @classmethod
    def today(cls):
        return _real_datetime.fromtimestamp(now())


class _DatetimeModuleProxy:
    """Stands in for the `datetime` module inside moto modules."""

    def __init__(self):
        self.datetime = OffsetDatetime

    def __getattr__(self, name):
        return getattr(_dt, name)


class _TimeModuleProxy:
    """Stands in for the `time` module inside moto modules."""

    def __getattr__(self, name):
        return getattr(_time, name)

    @staticmethod
    def time():
        return now()


_DT_PROXY = _DatetimeModuleProxy()
_TIME_PROXY = _TimeModuleProxy()


def install() -> int:
    """Rebind clock sources in every loaded moto module; returns the count.

    Call after the moto backends in use have been imported.  Idempotent.
    """
    patched = 0
    for name, mod in list(sys.modules.items()):
        if not name.startswith("moto") or mod is None:
            continue
        d = getattr(mod, "__dict__", None)
        if not d:
            continue
        for attr, val in list(d.items()):
            if val is _dt:
                d[attr] = _DT_PROXY
                patched += 1
            elif val is _real_datetime:
                d[attr] = OffsetDatetime
                patched += 1
            elif val is _time:
                d[attr] = _TIME_PROXY
                patched += 1
    return patched
