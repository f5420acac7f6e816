"""The pretend back office of the example: catalog, inventory in KV, payments, carriers."""

import hashlib
import json

CATALOG = {"mug": 1200, "tee": 2500, "sticker": 300}  # prices in cents
STARTING_STOCK = 100


class PaymentGatewayTimeout(ConnectionError):
    """A transient failure: retrying the same charge is safe."""


def reserve(kv, run_id, items):
    """Take the items out of stock once per run (a repeated attempt returns the same reservation)."""
    done = kv.get(f"reservation:{run_id}", type="json")
    if done is not None:
        return done
    reserved = {}
    for item in items:
        key = f"stock:{item['sku']}"
        stock = int(kv.get(key) or STARTING_STOCK)
        if stock < item["qty"]:
            raise ValueError(f"only {stock} {item['sku']} left")
        kv.put(key, str(stock - item["qty"]))
        reserved[item["sku"]] = item["qty"]
    reservation = {"reservation": f"R-{run_id}", "items": reserved}
    kv.put(f"reservation:{run_id}", reservation)
    return reservation


def charge_card(card, amount_cents, idempotency_key):
    """A stand-in for a payment API call that takes an idempotency key."""
    charge_id = "ch_" + hashlib.sha256(f"{idempotency_key}:{card}".encode()).hexdigest()[:16]
    return {"charge_id": charge_id, "amount_cents": amount_cents}


def tracking_number(run_id):
    return "PM" + hashlib.sha256(run_id.encode()).hexdigest()[:10].upper()


def carrier_quote(carrier, kg):
    base = {"post": 450, "express": 1500, "freight": 3000}[carrier]
    per_kg = {"post": 120, "express": 300, "freight": 50}[carrier]
    return {"carrier": carrier, "cents": base + round(per_kg * kg), "quote": json.dumps([carrier, kg])}
