public import Synchronization

extension Mutex where Value: ~Copyable {
    /// `withLock`, with the critical section announced to ThreadSanitizer in builds compiled with `-D BEACON_TSAN`.
    ///
    /// `Synchronization.Mutex` waits on a futex that ThreadSanitizer cannot see, so in a `--sanitize=thread` build every
    /// access inside `withLock` looks unsynchronised. Here the mutex's address is acquired on entry and released on exit
    /// (`__tsan_acquire` / `__tsan_release`), which gives TSan the happens-before edge the futex provides. Other builds
    /// compile to a plain `withLock`. Beacon's modules that `make test-tsan` checks call this, never `withLock`.
    @inlinable
    @inline(__always)
    package borrowing func withTracedLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        #if BEACON_TSAN
        // The mutex's own address, taken without an access to the value (which TSan would see before the acquire).
        let address = withUnsafePointer(to: self) { UnsafeMutableRawPointer(mutating: $0) }
        return try withLock { (value: inout sending Value) throws(Failure) -> sending Result in
            threadSanitizerAcquire(address)
            defer { threadSanitizerRelease(address) }
            return try body(&value)
        }
        #else
        try withLock(body)
        #endif
    }
}

#if BEACON_TSAN
@usableFromInline
@_silgen_name("__tsan_acquire")
func threadSanitizerAcquire(_ address: UnsafeMutableRawPointer)

@usableFromInline
@_silgen_name("__tsan_release")
func threadSanitizerRelease(_ address: UnsafeMutableRawPointer)
#endif
