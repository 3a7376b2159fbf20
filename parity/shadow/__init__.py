"""Shadow a running app: ShadowSaver serves from the primary, mirrors writes to a candidate and compares reads."""

from parity.shadow.saver import ShadowSaver

__all__ = ["ShadowSaver"]
