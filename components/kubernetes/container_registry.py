"""ContainerRegistry: one ECR repository per service (staging, prod).

Scan on push, immutable tags, AES256 encryption, and a lifecycle policy that keeps the
last 30 images. Immutable tags mean CI pushes each build once under its unique
``<sha>-<timestamp>`` tag: the spec's moving ``latest`` and ``<environment>`` tags cannot be
overwritten here, and the stacks never deploy them (config refuses ``latest``). The
repositories are ``protect``ed by config, keep their names (CI pushes to them) and are deleted
before a replacement is created (which fails while they hold images, as it should).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component

KEEP_IMAGES = 30


@dataclass(frozen=True)
class ContainerRegistryArgs:
    name_prefix: str
    services: Sequence[str]
    protect: bool = True  # tiketi:protection.stateful


class ContainerRegistry(Component):
    TYPE = "tiketi:kubernetes:ContainerRegistry"
    repository_urls: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        lifecycle = json.dumps({"rules": [{
            "rulePriority": 1, "description": f"keep the last {KEEP_IMAGES} images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": KEEP_IMAGES},
            "action": {"type": "expire"}}]})
        self.repository_urls = {}
        for service in args.services:
            repository = aws.ecr.Repository(
                f"{name}-{service}", name=f"{args.name_prefix}/{service}", image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")],
                opts=self._child(protect=args.protect, delete_before_replace=True))
            aws.ecr.LifecyclePolicy(f"{name}-{service}", repository=repository.name, policy=lifecycle,
                                    opts=pulumi.ResourceOptions(parent=self))
            self.repository_urls[service] = repository.repository_url
        self.register_outputs({"repositoryUrls": self.repository_urls})
