#!/usr/bin/env python3
"""Writes the benchmark's request body: a batch v1 of 10 events of one web
session (landing page view with a campaign, scrolls, clicks, a hover, the cart
and checkout pages, a custom event and a conversion), built on the context of
docs/contracts/batch-v1/valid/web_session.json. Deterministic: same bytes on
every run, compact JSON as the SDK sends it.

  make_body.py GOLDEN_FILE OUT_FILE
"""
import json
import sys

golden_path, out_path = sys.argv[1], sys.argv[2]
with open(golden_path) as f:
    golden = json.load(f)

ts0 = golden["events"][0]["ts"]
session = golden["events"][0]["session_id"]
product = "https://shop.example/mug"
landing = product + "?utm_source=news&utm_medium=email&utm_campaign=winter"
cart = "https://shop.example/cart"
checkout = "https://shop.example/pay"

steps = [
    {"type": "page_view", "url": landing, "referrer": "https://www.google.com/",
     "title": "Blue mug — Demo shop"},
    {"type": "scroll", "url": product, "depth": 25},
    {"type": "scroll", "url": product, "depth": 50},
    {"type": "hover", "url": product,
     "element": {"selector": "a.size-guide", "text": "Size guide",
                 "href": "https://sizes.example/mugs", "outbound": True}},
    {"type": "click", "url": product,
     "element": {"selector": "button#add-to-cart", "text": "Add to cart", "outbound": False}},
    {"type": "page_view", "url": cart, "referrer": product, "title": "Your cart — Demo shop"},
    {"type": "custom", "url": cart, "name": "coupon_applied",
     "props": {"code": "WINTER10", "discount": 10, "first_order": True}},
    {"type": "click", "url": cart,
     "element": {"selector": "a.checkout", "text": "Checkout", "href": checkout,
                 "outbound": False}},
    {"type": "page_view", "url": checkout, "referrer": cart, "title": "Checkout — Demo shop"},
    {"type": "conversion", "url": checkout, "name": "purchase", "value": 21.6,
     "currency": "GBP", "props": {"items": 2}},
]
events = []
for i, step in enumerate(steps):
    event = {"id": f"{i:08x}-9f2d-4e8b-a1c3-5d6e7f8a9b0c", "type": step["type"],
             "ts": ts0 + 1500 * i, "session_id": session, "session_index": 1, "seq": i + 1}
    event.update({k: v for k, v in step.items() if k != "type"})
    events.append(event)

batch = {k: golden[k] for k in ("v", "site", "sent_at", "sdk", "context", "dropped")}
batch["site"] = "bench"
batch["sent_at"] = ts0 + 1500 * len(steps)
batch["events"] = events
with open(out_path, "w") as f:
    f.write(json.dumps(batch, separators=(",", ":"), ensure_ascii=False))
