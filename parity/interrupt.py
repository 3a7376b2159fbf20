"""One Ctrl-C stops the run: SIGINT (and SIGTERM) always raise KeyboardInterrupt, again until pytest unwinds."""

from __future__ import annotations

import signal
import threading

# Why our own handler: under the default one, asyncio.Runner (pytest-asyncio runs every async test in one) turns
# the first Ctrl-C into a cancel of the test's task only. A library that absorbs that CancelledError (or code that
# catches BaseException) lost it, the test went on and the run ended with exit 0 and a full report. Here every
# SIGINT raises, and while the run has not begun to unwind, the signal is repeated every NAG_S, so even a swallowed
# KeyboardInterrupt is followed by another one. The first repeat waits longer: a KeyboardInterrupt on its normal
# way out runs finally blocks (savers closing connections), and a second one there would only tangle the unwinding.
FIRST_NAG_S = 2.0
NAG_S = 1.0


class _State:
    requested = False  # a Ctrl-C / SIGTERM arrived
    unwinding = False  # pytest caught it and is stopping fixtures and servers: do not interrupt that
    handler = None
    nagger: threading.Thread | None = None


state = _State()


def install() -> None:
    """Install the handlers (main thread only; elsewhere the reaper still stops our servers on exit)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if state.handler is None:
        state.handler = _on_signal
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not state.handler:
            signal.signal(sig, state.handler)


def _on_signal(signum, frame) -> None:
    first = not state.requested
    state.requested = True
    if first and not state.unwinding:
        state.nagger = threading.Thread(target=_nag, name="parity-interrupt", daemon=True)
        state.nagger.start()
    # While unwinding, our nag is silent: a signal now is the user's second Ctrl-C, and it stops the cleanup too
    # (the reaper process still stops the servers when we exit).
    raise KeyboardInterrupt(f"signal {signum}")


def _nag() -> None:
    main = threading.main_thread()
    pause = threading.Event()
    wait = FIRST_NAG_S
    while True:
        pause.wait(wait)
        wait = NAG_S
        if state.unwinding or not main.is_alive():
            return
        if hasattr(signal, "pthread_kill"):  # a real signal: it also breaks a blocking system call
            signal.pthread_kill(main.ident, signal.SIGINT)
        else:
            import _thread

            _thread.interrupt_main()


def unwinding() -> None:
    """pytest caught the interrupt (or the run ended): from now on signals do not cut the cleanup short."""
    state.unwinding = True


def requested() -> bool:
    """A signal arrived, even if its KeyboardInterrupt was swallowed (CPython drops exceptions raised in weakref
    callbacks and __del__, e.g. during pytest's final gc.collect()): callers check this after each stage."""
    return state.requested


def rearm() -> None:
    """A new stage begins after pytest (rendering): signals there are repeated again until they stop it."""
    if not state.requested:
        state.unwinding = False


def run_pytest(args: list[str], plugins: list | None = None) -> int:
    """pytest.main(args) with a Ctrl-C anywhere in it as pytest's INTERRUPTED code: also one before pytest could catch
    it (plugin loading, server start), and one that cut an import short so that a plugin's hook tripped over the
    half-imported package while pytest unwound (seen: hypothesis's terminal summary, an ImportError, exit 1)."""
    import pytest

    try:
        return int(pytest.main(args, plugins=plugins))
    except KeyboardInterrupt:
        return int(pytest.ExitCode.INTERRUPTED)
    except Exception:
        if not requested():
            raise
        return int(pytest.ExitCode.INTERRUPTED)
