"""The idle and read timeouts along the request path, chosen together (viewer -> CloudFront -> ALB -> pods).

On every hop the side that reuses a kept-alive connection must give it up before the side
that accepts it closes it, or a request is sent on a connection the other end has just
closed and the viewer gets a 502. AWS words the rule for the ALB: "we recommend that you
configure the idle timeout of your application to be larger than the idle timeout configured
for the load balancer" (docs.aws.amazon.com/elasticloadbalancing/latest/application/
edit-load-balancer-attributes.html, "Connection idle timeout"). Applied to each hop:

- CloudFront keeps an idle origin connection for ``CLOUDFRONT_ORIGIN_KEEPALIVE_SECONDS`` (55),
  under the ALB's idle timeout;
- the ALBs (public and internal) close idle connections after ``ALB_IDLE_TIMEOUT_SECONDS`` (65);
- the services keep an idle connection for ``BACKEND_KEEPALIVE_SECONDS`` (75), over the ALB's:
  Node's ``server.keepAliveTimeout`` defaults to 5 s (nodejs.org/api/http.html) and Next.js
  behind an ALB answers 502s until it is raised (vercel/next.js discussion #28642); Tomcat's
  keep-alive timeout defaults to its connection timeout (60 s, under the ALB's 65).

CloudFront waits ``CLOUDFRONT_ORIGIN_READ_SECONDS`` (60) for an origin response: the most a
custom origin allows without a quota increase (CloudFormation ``CustomOriginConfig``:
OriginReadTimeout 1-60, OriginKeepaliveTimeout 1-60), and no more than the ALB's idle
timeout, so CloudFront gives up first instead of the ALB cutting the connection with a 504.
Before this was chosen CloudFront gave up at its default 30 s while the ALB waited 60 s.
A request that takes longer than 60 s fails at CloudFront (504): long work belongs in the queue.
"""

from __future__ import annotations

CLOUDFRONT_ORIGIN_KEEPALIVE_SECONDS = 55
CLOUDFRONT_ORIGIN_READ_SECONDS = 60
ALB_IDLE_TIMEOUT_SECONDS = 65
BACKEND_KEEPALIVE_SECONDS = 75

# How the services are told (values, not code): Spring Boot binds SERVER_TOMCAT_KEEPALIVETIMEOUT to
# server.tomcat.keep-alive-timeout and SERVER_NETTY_IDLETIMEOUT to server.netty.idle-timeout
# (relaxed binding from environment variables: dots become underscores, dashes are dropped); a
# Spring service ignores the one of its other server. Next.js's standalone server.js reads
# KEEP_ALIVE_TIMEOUT in milliseconds (the server.js `next build` writes for output: "standalone").
SPRING_KEEPALIVE_ENV = {
    "SERVER_TOMCAT_KEEPALIVETIMEOUT": f"{BACKEND_KEEPALIVE_SECONDS}s",
    "SERVER_NETTY_IDLETIMEOUT": f"{BACKEND_KEEPALIVE_SECONDS}s",
}
NEXTJS_KEEPALIVE_ENV = {"KEEP_ALIVE_TIMEOUT": str(BACKEND_KEEPALIVE_SECONDS * 1000)}
