import BeaconEvents

/// The web server's settings (docs/Configuration.md): flags over environment over defaults.
///
/// | setting | flag | environment | default |
/// | --- | --- | --- | --- |
/// | broker | `--amqp-url` | `AMQP_URL` | `amqp://guest:guest@127.0.0.1:5672/%2F` |
/// | exchange | | `BEACON_EXCHANGE` | `events` |
/// | listen address | `--host`, `--port` | `BEACON_HOST`, `BEACON_PORT` | `127.0.0.1`, `8080` |
/// | service name | | `BEACON_SERVICE` | `web` |
/// | lowest level published | | `BEACON_EVENT_LEVEL` | `info` |
/// | spool directory | | `BEACON_SPOOL_DIR` | `var/spool/web` |
/// | debug pages | | `BEACON_DEBUG` | `false` |
/// | event pipeline | `--no-events` | `BEACON_EVENTS` (`on`/`off`) | on |
struct WebConfiguration: Sendable, Hashable {
    var amqpURL = "amqp://guest:guest@127.0.0.1:5672/%2F"
    var exchange = "events"
    var host = "127.0.0.1"
    /// 0 lets the system choose a free port.
    var port = 8080
    var service = "web"
    var eventLevel = Event.Level.info
    var spoolDirectory = "var/spool/web"
    var debug = false
    /// Whether events are published at all; off, the server runs its signals and logs but has no outbox and no
    /// broker connection.
    var eventsEnabled = true

    /// The defaults.
    init() {}
}
