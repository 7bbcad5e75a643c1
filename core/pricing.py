"""The one price table: what the cost guard estimates with and what the comparison charges each invocation.

AWS Lambda on-demand, first pricing tier (up to 6 billion GB-s/month on x86_64, 7.5 billion on arm64), SQS standard
requests and HTTP API requests, from https://aws.amazon.com/lambda/pricing/ (and the SQS and API Gateway pricing
pages) as recorded 2026-11-25. The regions listed share one price list; another region falls back to us-east-1 and
the report says so. Ephemeral storage above 512 MB, the free tier and provisioned concurrency are out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.summary import Prices

PRICE_SOURCE = "https://aws.amazon.com/lambda/pricing/ (on-demand, first tier), recorded 2026-11-25"
DEFAULT_REGION = "us-east-1"
LAMBDA_PER_GB_S_USD = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
LAMBDA_PER_MILLION_REQUESTS_USD = 0.20
SQS_PER_MILLION_REQUESTS_USD = 0.40
HTTP_API_PER_MILLION_REQUESTS_USD = 1.00
STANDARD_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
                    "eu-west-3", "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1",
                    "ap-southeast-2", "ap-south-1")


@dataclass(frozen=True)
class PriceList:
    """Lambda's prices in one region (or the fallback region's, when the asked one is not in the table)."""

    region: str  # the region whose prices are used
    asked_region: str
    gb_second: dict[str, float]  # architecture → USD per GB-second
    per_million_requests: float

    @property
    def is_fallback(self) -> bool:
        return self.region != self.asked_region

    def to_dict(self) -> Prices:
        return {"region": self.region, "asked_region": self.asked_region, "usd_per_gb_second": self.gb_second,
                "usd_per_million_requests": self.per_million_requests, "source": PRICE_SOURCE}


def prices_for(region: str) -> PriceList:
    used = region if region in STANDARD_REGIONS else DEFAULT_REGION
    return PriceList(used, region, dict(LAMBDA_PER_GB_S_USD), LAMBDA_PER_MILLION_REQUESTS_USD)
