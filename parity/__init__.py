"""checkpoint-parity: does your LangGraph checkpointer behave and perform the same after the move?"""

__version__ = "0.1.0"
