"""Print Veille project stage events as they happen: a standalone integrator's subscriber.

    pip install aiokafka            # or: uv run python examples/stage_subscriber.py
    python examples/stage_subscriber.py --bootstrap 127.0.0.1:9092 [--group my-crm] [--from-beginning]

Stage events (veille.projects.stages.v1, key = project_id, JSON) are delivered at least once:
drop an event whose `event_id` you have already handled. Their JSON Schema is
libs/contracts/schemas/StageChange.json; the AsyncAPI document is docs/asyncapi/projects.json.
Nothing here imports Veille: any Kafka client in any language does the same.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from aiokafka import AIOKafkaConsumer


async def main() -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="veille.projects.stages.v1")
    parser.add_argument("--group", default=None, help="consumer group (resumes after a restart)")
    parser.add_argument("--from-beginning", action="store_true")
    parser.add_argument("--max", type=int, default=0, help="stop after this many events (0: never)")
    args = parser.parse_args()

    consumer = AIOKafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
        enable_auto_commit=args.group is not None,
    )
    await consumer.start()
    seen: set[str] = set()  # a real integrator keeps this in its database
    try:
        async for record in consumer:
            event = json.loads(record.value)
            if event["event_id"] in seen:
                continue  # redelivered: already handled
            seen.add(event["event_id"])
            project = event["project"]
            if event["kind"] == "overrun":
                what = f"{event['to_stage']} OVERRAN its plan ({event['reason']})"
            else:
                what = f"{event['from_stage'] or '-'} -> {event['to_stage']}"
                if event["overridden"]:
                    what += f" [gate overridden: {event['override_reason']}]"
            print(
                f"{event['effective_at']}  {event['project_id']} ({project['tenant_id']}, "
                f"{project['selected_pcs']} PCs)  #{event['seq']} {what}",
                flush=True,
            )
            if args.max and len(seen) >= args.max:
                break
    finally:
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(main())
