// The worker program: `worker run` (the default), `worker tail`, `worker dead`, `worker topology`.
// The commands are thin; the work is done by the BeaconWorker library.
import ArgumentParser

/// Inside an `async` function the asynchronous `main()` of AsyncParsableCommand is chosen (top-level code would
/// pick ParsableCommand's synchronous one).
func main() async {
    await WorkerCommand.main()
}

await main()
