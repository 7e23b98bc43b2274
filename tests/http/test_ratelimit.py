"""Per-facility token buckets: 429 with Retry-After, refilled with time (a fake clock)."""

from __future__ import annotations

from gateway.config import FacilityConfig, RateLimit
from gateway.http.ratelimit import RateLimiter, TokenBucket, retry_after

from .conftest import StartGateway
from .support import FACILITY_TOKENS, OPERATOR_TOKENS, Documents


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0, tokens=3.0, updated=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == 0.5  # half a second until the next token
    assert bucket.take(0.5) == 0.0
    assert retry_after(0.01) == "1" and retry_after(2.2) == "3"


def test_each_facility_has_its_own_bucket() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(lambda code: RateLimit(1.0, 1.0), clock)
    assert limiter.check("01001") == 0.0
    assert limiter.check("01001") > 0
    assert limiter.check("79001") == 0.0


async def test_a_facility_over_its_rate_gets_429_with_retry_after(
    start_gateway: StartGateway, documents: Documents
) -> None:
    clock = FakeMonotonic()
    gw = await start_gateway(monotonic=clock, rate_limit=RateLimit(rate=0.5, burst=2.0))
    assert (await gw.submit(documents.envelope(60))).status == 202
    assert (await gw.submit(documents.envelope(61))).status == 202
    limited = await gw.submit(documents.envelope(62))
    assert limited.status == 429 and limited.body["code"] == "rate.limited"
    assert limited.headers["Retry-After"] == "2"
    other = await gw.submit(documents.envelope(62, "79001"), "79001")  # another facility's bucket
    assert other.status == 202
    operator = await gw.call("GET", "/api/v1/dossiers", token=OPERATOR_TOKENS["alice"])
    assert operator.status == 200  # operators are not rate-limited
    clock.now += 2.0
    assert (await gw.submit(documents.envelope(62))).status == 202


async def test_a_facility_can_have_its_own_rate(start_gateway: StartGateway) -> None:
    clock = FakeMonotonic()
    gw = await start_gateway(monotonic=clock)
    slow = FacilityConfig("01001", tokens=gw.settings.facilities["01001"].tokens, rate_limit=RateLimit(1.0, 1.0))
    gw2 = await start_gateway(monotonic=clock, facilities={**gw.settings.facilities, "01001": slow},
                              base=gw.settings.data_dir.parent / "second")
    assert (await gw2.call("GET", "/api/v1/dossiers", token=FACILITY_TOKENS["01001"])).status == 200
    assert (await gw2.call("GET", "/api/v1/dossiers", token=FACILITY_TOKENS["01001"])).status == 429
    assert (await gw2.call("GET", "/api/v1/dossiers", token=FACILITY_TOKENS["79001"])).status == 200
