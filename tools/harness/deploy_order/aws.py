"""Creation-time preconditions AWS enforces, as deploy-order rules (tools/harness/deploy_order/graph.py).

Each rule cites where AWS (or the provider) documents the check. ``NO_PRECONDITION`` lists the
resource types this program creates whose only create-time needs are the resources their
inputs reference (which the graph has by construction), each with the reason.
"""

from __future__ import annotations

from tools.harness.deploy_order.graph import OrderRule

AWS_RULES: tuple[OrderRule, ...] = ()
