"""Order processing as a durable workflow: validate -> reserve inventory -> charge -> ship.

Each step's result is stored (Durable Object storage) before the next step runs, so a
restart resumes at the step that was running and never repeats a finished one. Steps run
at least once, so every step with a side effect is idempotent on the run id.

    curl -X POST $URL/workflow/run -d '{"workflow": "process-order", "id": "order-1001",
        "input": {"items": [{"sku": "mug", "qty": 2}], "card": "tok_visa"}}'
    curl "$URL/workflow/status?id=order-1001"
"""

from pymode import parallel
from pymode.workers import Response
from pymode.workflows import Workflow

from shop import CATALOG, PaymentGatewayTimeout, carrier_quote, charge_card, reserve, tracking_number

orders = Workflow("process-order")


@orders.step
def validate(ctx):
    items = ctx.input.get("items") or []
    if not items:
        raise ValueError("an order needs at least one item")
    unknown = [i["sku"] for i in items if i["sku"] not in CATALOG]
    if unknown:
        raise ValueError(f"unknown SKUs: {', '.join(unknown)}")
    total = sum(CATALOG[i["sku"]] * i["qty"] for i in items)
    return {"items": items, "total_cents": total}


@orders.step(retries=2, backoff=1.0)
def reserve_inventory(ctx):
    # Idempotent: a reservation is keyed by the run id, so a repeated attempt finds it.
    return reserve(ctx.env.INVENTORY_KV, ctx.id, ctx.results["validate"]["items"])


@orders.step(retries=3, backoff=2.0)
def charge(ctx):
    # The gateway fails transiently on the first `simulate_failures` attempts (default 1):
    # the step is retried after 2 s, then 4 s, ... and the run continues.
    if ctx.attempt <= ctx.input.get("simulate_failures", 1):
        raise PaymentGatewayTimeout(f"payment gateway timed out (attempt {ctx.attempt})")
    return charge_card(ctx.input.get("card", "tok_test"), ctx.results["validate"]["total_cents"], idempotency_key=ctx.id)


@orders.step
def ship(ctx):
    return {"tracking": tracking_number(ctx.id), "carrier": "pymode-post",
            "charged_cents": ctx.results["charge"]["amount_cents"]}


def on_fetch(request, env):
    # /workflow/run, /workflow/status and /workflow/resume are served by pymode before on_fetch.
    if request.path == "/quotes":
        # Ask three carriers at once, each in its own ThreadDO instance.
        weight = float(request.query.get("kg", ["1"])[0])
        quotes = parallel.gather(*[parallel.spawn(carrier_quote, c, weight) for c in ("post", "express", "freight")])
        return Response.json({"quotes": quotes})
    return Response(
        "POST /workflow/run {\"workflow\": \"process-order\", \"input\": {...}} starts an order;\n"
        "GET /workflow/status?id=<id> follows it; GET /quotes?kg=2 compares carriers.\n"
    )
