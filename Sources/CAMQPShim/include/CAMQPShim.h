#ifndef BEACON_CAMQPSHIM_H
#define BEACON_CAMQPSHIM_H

#include <amqp.h>

/// `amqp_login_with_properties` is variadic and cannot be called from Swift: this fixes the
/// SASL method to PLAIN and passes the user name and password as plain arguments.
amqp_rpc_reply_t beacon_amqp_login_plain(amqp_connection_state_t state, char const *vhost, int channel_max,
                                         int frame_max, int heartbeat, amqp_table_t const *client_properties,
                                         char const *user, char const *password);

#endif
