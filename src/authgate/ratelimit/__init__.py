"""Counting requests, one concept per module:

- :mod:`~authgate.ratelimit.failures`: failure throttles against password guessing
  (reserve, then keep or give back), hand-written because ``limits`` cannot give back a place;
- :mod:`~authgate.ratelimit.limiter`: request rate limits ("60/minute" per key) over the
  ``limits`` library, in memory or in Redis;
- :mod:`~authgate.ratelimit.leases`: how the limiter takes places of a shared window in
  Redis, a few at a time for busy keys;
- :mod:`~authgate.ratelimit.notation`: how limits and endpoints are written in settings;
- :mod:`~authgate.ratelimit.pipelined`: the Redis storage those use, one round trip per
  pass of the event loop;
- :mod:`~authgate.ratelimit.token_requests`: the token endpoint's limit per client.
"""
