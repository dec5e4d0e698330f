"""The explicit provider registry: ``kind`` in the providers file → config model and adapter.

Adding a provider means its adapter module and config model, one line here, its fake and
its contract case (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bot.providers.base import FeatureOff, Provider, no_notice
from bot.providers.billingserv import BillingServConfig, BillingServProvider
from bot.providers.config import ProviderConfigBase
from bot.providers.hostup import HostUpConfig, HostUpProvider
from bot.providers.ispcrm import IspCrmConfig, IspCrmProvider
from bot.providers.pulse import PulseConfig, PulseProvider
from bot.providers.vpsbg import VpsbgConfig, VpsbgProvider


@dataclass(frozen=True)
class Kind:
    config: type[ProviderConfigBase]
    build: Callable[..., Provider]  # (config, client, *, on_feature_off)


REGISTRY: dict[str, Kind] = {
    "hostup": Kind(HostUpConfig, HostUpProvider),
    "billingserv": Kind(BillingServConfig, BillingServProvider),
    "pulse": Kind(PulseConfig, PulseProvider),
    "ispcrm": Kind(IspCrmConfig, IspCrmProvider),
    "vpsbg": Kind(VpsbgConfig, VpsbgProvider),
}


def build_provider(
    config: ProviderConfigBase, client: httpx.AsyncClient, on_feature_off: FeatureOff = no_notice
) -> Provider:
    """The adapter for ``config``; ``on_feature_off`` hears of each optional feature it finds
    missing."""
    return REGISTRY[config.kind].build(config, client, on_feature_off=on_feature_off)
