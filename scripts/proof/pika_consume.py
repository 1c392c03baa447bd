"""pika's consume throughput, written like BeaconAMQP's consume benchmark (Benchmarks/AMQPBenchmarks): a durable quorum queue
filled with N 300-byte persistent messages (not timed), then consumed empty with prefetch 2,000 and one multiple-ack
per 500 messages; prints {"consume_msgs_per_s": ...}.

    python3 pika_consume.py --url AMQP_URL [--n 50000]"""
import argparse
import json
import time

import pika

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--n", type=int, default=50_000)
args = parser.parse_args()
queue = "bench.pika.consume"
connection = pika.BlockingConnection(pika.URLParameters(args.url))
channel = connection.channel()
channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
channel.queue_purge(queue)
body = (b'{"schema":1,"id":"00000000-0000-4000-8000-000000000000","kind":"request","level":"info","message":"GET /hello 200"}'
        .ljust(299) + b"\n")
properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
for _ in range(args.n):
    channel.basic_publish("", queue, body, properties)
channel.queue_declare(queue, durable=True, passive=True)
channel.basic_qos(prefetch_count=2000)
received = 0
started = time.monotonic()
for method, _, _ in channel.consume(queue):
    received += 1
    if received % 500 == 0 or received == args.n:
        channel.basic_ack(method.delivery_tag, multiple=True)
    if received == args.n:
        break
channel.cancel()
left = channel.queue_declare(queue, durable=True, passive=True).method.message_count
elapsed = time.monotonic() - started
channel.queue_delete(queue)
connection.close()
assert left == 0, f"{left} messages left"
print(json.dumps({"consume_msgs_per_s": round(args.n / elapsed), "n": args.n, "seconds": round(elapsed, 3)}))
