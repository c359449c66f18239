"""The two refusals of ``POST /order`` worth one more try, and only those.

* A **sell** refused with "not enough balance / allowance": the CLOB's view of the token
  allowance is stale (a common trap after an approval). It is asked to read the chain again
  (``GET /balance-allowance/update``) and the very same signed order goes once more.
* ``order_version_mismatch``: the CLOB is asked which order version it takes. Still V2 (a
  transient answer during a rollover): the same order goes once more. Another version: this
  agbotkit cannot sign it, and the refusal says so.

The order was refused both times, so nothing rests twice, and its id (its hash) is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec

from agbotkit.model.orders import Order, Side
from agbotkit.venues.polymarket.responses import OrderResponse
from agbotkit.venues.polymarket.rest import ClobRestClient

__all__ = ["second_chance"]


async def second_chance(
    rest: ClobRestClient,
    order: Order,
    body: Mapping[str, Any],
    answer: OrderResponse,
    *,
    signature_type: int,
    log: logging.Logger,
) -> OrderResponse:
    """``answer``, or the answer to the one more try a refusal deserves (see the module)."""
    error = answer.error_msg or ""
    if answer.success or not error:
        return answer
    if "allowance" in error.lower() and order.side is Side.SELL:
        log.warning(
            "order %s: %s; refreshing the allowance and sending it again",
            order.client_order_id,
            error,
        )
        await rest.update_balance_allowance("CONDITIONAL", order.token_id, signature_type)
        return await rest.post_order(body)
    if "order_version_mismatch" in error:
        version = await rest.version()
        if version == 2:
            log.warning(
                "order %s: order_version_mismatch while the CLOB takes V2: sending it again",
                order.client_order_id,
            )
            return await rest.post_order(body)
        log.error("the CLOB takes order version %d; this agbotkit signs V2 only", version)
        reason = f"the CLOB takes order version {version}; agbotkit signs V2 only: upgrade"
        return msgspec.structs.replace(answer, error_msg=reason)
    return answer
