"""User-facing errors: one clear line, exit code 2, never a traceback."""


class ParityUsageError(Exception):
    """Bad input or an unusable environment; the message says what is wrong and how to fix it."""

    exit_code = 2

    def __init__(self, what: str, fix: str = ""):
        self.what = what
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        return f"parity: {self.what}" + (f" (fix: {self.fix})" if self.fix else "")
