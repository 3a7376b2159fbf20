"""Standalone: delete_thread on PostgresSaver works; on ShallowPostgresSaver? argv: [redis_url, postgres_url]."""
import sys
import warnings

from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.shallow import ShallowPostgresSaver

warnings.simplefilter("ignore", DeprecationWarning)
for cls in (PostgresSaver, ShallowPostgresSaver):
    with cls.from_conn_string(sys.argv[2]) as saver:
        saver.setup()
        try:
            saver.delete_thread("nobody")
            print(f"{cls.__name__}: delete_thread ok")
        except NotImplementedError:
            print(f"{cls.__name__}: delete_thread raises NotImplementedError")
