"""The plumbing every Tiketi component shares, so each module holds only what it builds.

A component subclasses ``Component`` and names its type token once::

    class Cache(Component):
        TYPE = "tiketi:data:Cache"

        def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
            super().__init__(name, args, opts)
            aws.ec2.SecurityGroup(self._child_name("sg"), ..., opts=self._child())

The URN of a component is ``<type token>::<name>`` under its parent, and of each child
``<child type>::<name>-<role>`` under the component: the module a class lives in plays no
part, so moving a module never changes a URN. ``_child()`` never merges the caller's
``opts`` into children: a child inherits its parent's providers and ``protect`` from the
parent itself (Pulumi SDK ``Resource.__init__``), and anything else is the component's
own decision.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi


class Component(pulumi.ComponentResource):
    TYPE: ClassVar[str]  # tiketi:<area>:<Type>

    def __init__(self, name: str, args: Any = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__(self.TYPE, name, None, opts)
        self._name = name
        self._args = args

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a child resource: parented to this component, plus what the caller adds."""
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _child_name(self, role: str) -> str:
        return f"{self._name}-{role}"
