"""Run one standalone upstream check against fresh embedded Redis and Postgres: python -m compat.upstream_checks.run FILE.

Each check_*.py here reproduces a finding of the compat matrix with plain LangGraph + saver code (no parity
harness), so a finding can be told apart from a harness bug. The script gets argv = [redis_url, postgres_url].
"""

import subprocess
import sys

from parity.servers.embedded import embedded_servers


def main(script: str) -> int:
    with embedded_servers("redis", "postgres") as (redis, postgres):
        return subprocess.run([sys.executable, script, redis.url, postgres.url], check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
