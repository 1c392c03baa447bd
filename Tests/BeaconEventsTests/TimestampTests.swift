import IntegrationSupport
import Testing

@testable import BeaconEvents

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_795_257_330_123, "2026-11-21T10:35:30.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ])
    func writesRFC3339InUTCWithMilliseconds(milliseconds: Int64, text: String) {
        let time = Event.Timestamp(millisecondsSince1970: milliseconds)
        #expect(time.rfc3339 == text)
        #expect(Event.Timestamp(rfc3339: text) == time)
    }

    @Test(arguments: [
        ("2026-11-21T10:35:30Z", Int64(1_795_257_330_000)),
        ("2026-11-21t10:35:30.1z", 1_795_257_330_100),
        ("2026-11-21 10:35:30.123456789Z", 1_795_257_330_123),
        ("2026-11-21T04:47:32.997306+00:00", 1_795_236_452_997),
        ("2026-11-21T11:35:30.123+01:00", 1_795_257_330_123),
        ("2026-11-21T05:35:30.123-05:00", 1_795_257_330_123),
    ])
    func readsTheFormsProducersWrite(text: String, milliseconds: Int64) {
        #expect(Event.Timestamp(rfc3339: text)?.millisecondsSince1970 == milliseconds)
    }

    @Test(arguments: [
        "", "2026-11-21", "2026-11-21T10:35:30", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-21T24:00:00Z", "2026-11-21T10:35:30.Z", "2026-11-21T10:35:30Zjunk", "21/11/2026 10:35:30",
    ])
    func rejectsWhatIsNotRFC3339(text: String) {
        #expect(Event.Timestamp(rfc3339: text) == nil)
    }

    @Test func civilDatesRoundTripOverFourCenturies() {
        var seconds: Int64 = -2_208_988_800  // 1900-01-01
        while seconds < 10_413_792_000 {  // 2300-01-01
            #expect(CivilTime(secondsSince1970: seconds).secondsSince1970 == seconds)
            seconds += 86_400 * 7 + 3_661
        }
    }

    @Test func nowIsNearTheSystemClock() throws {
        let python = try Python.run("import time; print(int(time.time() * 1000))")
        let system = try #require(Int64(python.trimmingWhitespace()))
        #expect(abs(Event.Timestamp.now().millisecondsSince1970 - system) < 10_000)
    }
}
