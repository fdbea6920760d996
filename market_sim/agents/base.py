"""Agents that keep their state in a column table shared by all agents of their kind.

Each kind (vendors, investors, enterprise buyers, consumers) has one `ColumnTable`: a numpy
array per state variable, row i belonging to agent i. The table is the state's only home;
the monthly decisions are computed for all rows of a kind at once, in numpy: thousands of
agents doing the same thing cost one array operation, not thousands of Python calls.

The Mesa agent objects are the model's Mesa face: `model.agents`, `model.agents_by_type`,
`mesa.batch_run` and the browser app see real agents, and `agent.cash` reads or writes the
agent's row. They hold no state of their own (a table and a row number), so they stay cheap,
and no mechanism ever goes through them.
"""

from __future__ import annotations

import numpy as np
from mesa import Agent, Model


class ColumnTable:
    """Struct of arrays for one kind of agent. Columns are plain attributes."""

    def __init__(self, size: int):
        self.size = size

    def columns(self) -> list[str]:
        return [k for k, v in vars(self).items() if isinstance(v, np.ndarray)]


class column:
    """Descriptor: an agent attribute stored in row `agent.row` of its kind's table."""

    def __init__(self, doc: str = ""):
        self.__doc__ = doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        return getattr(agent.table, self.name)[agent.row]

    def __set__(self, agent, value):
        getattr(agent.table, self.name)[agent.row] = value


class TableAgent(Agent):
    """A Mesa agent whose state lives in row `row` of `table`."""

    def __init__(self, model, table: ColumnTable, row: int):
        super().__init__(model)
        self.table = table
        self.row = row


class TableBackedModel(Model):
    """A Mesa model whose agents are views of its tables, created on first use: runs that never
    ask for them (replications, sweeps, calibration) never pay for creating tens of thousands
    of objects. Mesa's `agents`, `agents_by_type` and `agent_types` create them all at their
    first access, through the subclass's `_add_mesa_agents`."""

    _mesa_agents_added = False

    def _add_mesa_agents(self) -> None:
        raise NotImplementedError

    def _ensure_mesa_agents(self) -> None:
        if not self._mesa_agents_added:
            self._mesa_agents_added = True
            self._add_mesa_agents()

    @property
    def agents(self):
        self._ensure_mesa_agents()
        return super().agents

    @property
    def agents_by_type(self):
        self._ensure_mesa_agents()
        return super().agents_by_type

    @property
    def agent_types(self):
        self._ensure_mesa_agents()
        return super().agent_types
