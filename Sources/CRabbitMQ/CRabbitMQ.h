// rabbitmq-c 0.11 (Debian librabbitmq-dev): the core API, the TCP socket and the TLS socket.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
