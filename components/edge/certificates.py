"""Certificates: the ACM certificates of the edge, validated through DNS in the stack's Route 53 zone.

Owns (``tiketi:edge.dns: route53``) the lookup of the public hosted zone, two certificates and
their DNS validation:

- the regional certificate (``aws:region``) for the public ALB's origin name and the internal
  API name, used by both ALBs' HTTPS listeners (an ELB origin's certificate may be in any
  region; a certificate attached to a load balancer must be in its region);
- the CloudFront certificate in us-east-1 for the aliases: CloudFront uses ACM certificates
  from us-east-1 only (CloudFront Developer Guide, "Requirements for using SSL/TLS certificates
  with CloudFront"). Its ``CertificateValidation`` is in us-east-1 too: the resource polls ACM
  in its own region (zenn.dev/takeaki_m/articles/set-region-for-terraform-acm).

Both use pulumi-aws 7's per-resource ``region`` on the default provider, which carries the
stack's default tags (an explicit provider would not read them from config).

Validation records are resources of their own, created from the names in config (not inside an
``apply``, where a preview could not show them): one CNAME per name without ``*.``. ACM gives a
wildcard and its apex the same CNAME, and the same name in two certificates of one account the
same CNAME too; creating it twice fails ("InvalidChangeBatch ... but it already exists",
terraform-aws-modules/terraform-aws-acm#8, hashicorp/terraform-provider-aws#13653), so each
record is created once and every certificate that needs it waits for it.

Downstream resources use ``CertificateValidation.certificate_arn``, never ``Certificate.arn``: the
validation completes only once ACM has issued the certificate, and a listener or distribution
given a certificate still pending validation is refused ("InvalidViewerCertificate", pulumi/
pulumi-aws#5649). ACM renews a DNS-validated certificate by itself while it is in use and its
CNAME stays in DNS (ACM User Guide, "Managed renewal for ACM's Amazon-issued certificates").

The private zone for the internal name and the alias records belong to the components that
own their targets (InternalApi, LoadBalancer, Cdn).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component

CLOUDFRONT_REGION = "us-east-1"
VALIDATION_RECORD_TTL = 60


@dataclass(frozen=True)
class CertificatesArgs:
    name_prefix: str
    regional_names: Sequence[str]  # the first is the certificate's domain name, the rest its SANs
    cloudfront_names: Sequence[str]  # empty: CloudFront keeps its default *.cloudfront.net certificate
    hosted_zone: str | None = None  # the public zone by name (looked up), or
    hosted_zone_id: str | None = None  # by id (used as given)


class Certificates(Component):
    TYPE = "tiketi:edge:Certificates"
    zone_id: pulumi.Output[str]
    regional_certificate_arn: pulumi.Output[str]
    cloudfront_certificate_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        if args.hosted_zone_id:
            self.zone_id = pulumi.Output.from_input(args.hosted_zone_id)
        else:
            # A public zone by name: a private zone of the same name would not be asked for.
            self.zone_id = aws.route53.get_zone_output(
                name=args.hosted_zone, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)).zone_id

        certificates = {"regional": (list(args.regional_names), None)}
        if args.cloudfront_names:
            certificates["cloudfront"] = (list(args.cloudfront_names), CLOUDFRONT_REGION)
        issued = {role: self._certificate(role, names, region) for role, (names, region) in certificates.items()}

        records: dict[str, aws.route53.Record] = {}
        for role, (names, _) in certificates.items():
            for domain in names:
                base = domain.removeprefix("*.")
                if base not in records:
                    records[base] = self._validation_record(base, issued[role], domain)
        validated = {role: aws.acm.CertificateValidation(
            self._child_name(role), certificate_arn=issued[role].arn, region=region,
            validation_record_fqdns=[records[base].fqdn for base in dict.fromkeys(d.removeprefix("*.") for d in names)],
            opts=self._child()) for role, (names, region) in certificates.items()}

        self.regional_certificate_arn = validated["regional"].certificate_arn
        self.cloudfront_certificate_arn = validated["cloudfront"].certificate_arn if "cloudfront" in validated else None
        self.register_outputs({"zoneId": self.zone_id, "regionalCertificateArn": self.regional_certificate_arn,
                               "cloudfrontCertificateArn": self.cloudfront_certificate_arn})

    def _certificate(self, role: str, names: list[str], region: str | None) -> aws.acm.Certificate:
        return aws.acm.Certificate(
            self._child_name(role), domain_name=names[0], subject_alternative_names=names[1:] or None,
            validation_method="DNS",
            key_algorithm="RSA_2048",  # ACM's default for requested certificates; every client takes RSA
            region=region, tags={"Name": f"{self._args.name_prefix}-{role}"},
            # A changed name replaces the certificate: the new one is issued before the old one is
            # deleted (Pulumi's default), so the listeners and the distribution always have one.
            opts=self._child())

    def _validation_record(self, base: str, certificate: aws.acm.Certificate, domain: str) -> aws.route53.Record:
        option = certificate.domain_validation_options.apply(
            lambda options: next(o for o in options if o.domain_name == domain))
        return aws.route53.Record(
            self._child_name(f"validation-{base}"), zone_id=self.zone_id, name=option.resource_record_name,
            type=option.resource_record_type, records=[option.resource_record_value], ttl=VALIDATION_RECORD_TTL,
            opts=self._child())
