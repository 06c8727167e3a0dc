"""The Tiketi CrossGuard policy pack: `pulumi preview --policy-pack policy` runs it.

Every rule lives in plain modules (aws_rules, kubernetes_rules, stack_rules) that the tests
and `make render` run without CrossGuard; this file only hands them to PolicyPack, whose
constructor starts the analyzer server and blocks, so nothing else imports it.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pulumi_policy import EnforcementLevel, PolicyPack

from crossguard import policies

PolicyPack(name="tiketi-security", enforcement_level=EnforcementLevel.MANDATORY, policies=policies())
