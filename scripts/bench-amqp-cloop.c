/* The floor to compare BeaconAMQP against: a bare rabbitmq-c loop publishing persistent 300-byte messages to a
 * durable queue (quorum or classic) with a sliding window of publisher confirms, as fast as the broker confirms them.
 * No error handling beyond stopping, no reconnect, no per-message outcome: a measurement, not a client.
 *
 *   cc -O2 scripts/bench-amqp-cloop.c -lrabbitmq -o bench-amqp-cloop
 *   ./bench-amqp-cloop HOST PORT MESSAGES WINDOW quorum|classic        prints one JSON line
 */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 6 || (strcmp(argv[5], "quorum") != 0 && strcmp(argv[5], "classic") != 0)) {
        fprintf(stderr, "usage: %s HOST PORT MESSAGES WINDOW quorum|classic\n", argv[0]);
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    long count = atol(argv[3]);
    long window = atol(argv[4]);
    const char *queue_type = argv[5];
    amqp_bytes_t queue = amqp_cstring_bytes("bench.cloop");
    amqp_table_entry_t type_argument = {amqp_cstring_bytes("x-queue-type"), {AMQP_FIELD_KIND_UTF8, {.bytes = amqp_cstring_bytes(queue_type)}}};
    amqp_table_t queue_arguments = {1, &type_argument};

    amqp_connection_state_t connection = amqp_new_connection();
    amqp_socket_t *socket = amqp_tcp_socket_new(connection);
    if (amqp_socket_open(socket, host, port) != AMQP_STATUS_OK) {
        fprintf(stderr, "cannot connect to %s:%d\n", host, port);
        return 1;
    }
    if (amqp_login(connection, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest").reply_type != AMQP_RESPONSE_NORMAL ||
        !amqp_channel_open(connection, 1) || !amqp_confirm_select(connection, 1) ||
        !amqp_queue_declare(connection, 1, queue, 0, 1, 0, 0, queue_arguments) || !amqp_queue_purge(connection, 1, queue)) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }

    char body[300];
    memset(body, ' ', sizeof body);
    amqp_basic_properties_t properties;
    properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
    properties.content_type = amqp_cstring_bytes("application/json");
    properties.delivery_mode = AMQP_DELIVERY_PERSISTENT;

    long sent = 0, confirmed = 0;
    double started = seconds();
    while (confirmed < count) {
        while (sent < count && sent - confirmed < window) {
            amqp_basic_publish(connection, 1, amqp_empty_bytes, queue, 0, 0, &properties, (amqp_bytes_t){sizeof body, body});
            sent++;
        }
        amqp_frame_t frame;
        if (amqp_simple_wait_frame(connection, &frame) != AMQP_STATUS_OK) {
            fprintf(stderr, "connection lost\n");
            return 1;
        }
        if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *ack = frame.payload.method.decoded;
            confirmed = ack->multiple ? (long)ack->delivery_tag : confirmed + 1;
        }
        amqp_maybe_release_buffers(connection);
    }
    double elapsed = seconds() - started;
    amqp_queue_delete(connection, 1, queue, 0, 0);
    printf("{\"mode\": \"rabbitmq-c loop, window %ld\", \"queue_type\": \"%s\", \"n\": %ld, \"elapsed_s\": %.3f, \"msgs_per_s\": %.0f}\n",
           window, queue_type, count, elapsed, count / elapsed);
    return 0;
}
