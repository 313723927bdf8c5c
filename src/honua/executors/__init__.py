"""Where jobs run. ``LocalPool`` is the embedded default: local worker processes.

Parent side: ``pool`` (the executor), ``slot`` (one worker's driver thread),
``backlog`` (queued and running items), ``handle`` (one worker process),
``outcomes`` (how a run ended, in words). Child side: ``worker`` (the loop),
``job`` (one item), ``limits`` (rlimits, user switch). Between them:
``protocol`` (frames and pickling).
"""

from honua.executors.pool import LocalPool

__all__ = ["LocalPool"]
