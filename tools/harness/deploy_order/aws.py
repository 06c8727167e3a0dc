"""Creation-time preconditions AWS enforces, as deploy-order rules (tools/harness/deploy_order/graph.py).

Each rule cites where AWS (or the provider) documents the check. ``NO_PRECONDITION`` lists the resource types this
program creates whose only create-time needs are the resources their inputs reference (which the graph has by
construction), each with the reason. The edge's certificates, names and logs have a module of their own
(tools/harness/deploy_order/edge.py).
"""

from __future__ import annotations

from tools.harness.deploy_order.edge import EDGE_NO_PRECONDITION, EDGE_RULES
from tools.harness.deploy_order.graph import OrderRule

AWS_RULES: tuple[OrderRule, ...] = (*EDGE_RULES,)

NO_PRECONDITION: dict[str, str] = {**EDGE_NO_PRECONDITION}


# --- Amazon MSK (issue 15): its rules live in msk.py, appended here -------------------------------
from tools.harness.deploy_order.msk import MSK_RULES  # noqa: E402

AWS_RULES = AWS_RULES + MSK_RULES

# --- the observability tier (issue 17): its rules live in observability.py, appended here ------------
from tools.harness.deploy_order.observability import OBSERVABILITY_AWS_RULES  # noqa: E402

AWS_RULES = AWS_RULES + OBSERVABILITY_AWS_RULES
