import BeaconEvents
import Foundation
import Testing

@testable import BeaconTasks

@Suite struct TaskNameTests {
    @Test(arguments: ["shop.send_receipt", "proj.add", "a", "tasks:resize-image/v2"])
    func acceptsPrintableNames(name: String) throws {
        try TaskName.validate(name)
    }

    @Test(arguments: [
        ("", ErrorCode<TaskNameError>.empty),
        (String(repeating: "a", count: 201), .tooLong),
        ("send receipt", .notPrintable),
        ("shop.\n", .notPrintable),
        ("shop.reçu", .notPrintable),
    ])
    func refusesOthers(name: String, code: ErrorCode<TaskNameError>) throws {
        let error = try #require(throws: TaskNameError.self) { try TaskName.validate(name) }
        #expect(error.code == code)
        #expect(error.name == name)
    }
}

@Suite struct CeleryTimeTests {
    @Test func writesWhatPythonIsoformatWrites() {
        #expect(CeleryTime.format(Celery.time("2026-12-02T03:35:19.289477+00:00")) == "2026-12-02T03:35:19.289477+00:00")
        #expect(CeleryTime.format(Date(timeIntervalSince1970: 1_796_182_536)) == "2026-12-02T03:35:36+00:00")
        #expect(CeleryTime.format(Date(timeIntervalSince1970: 0.5)) == "1970-01-01T00:00:00.500000+00:00")
        #expect(CeleryTime.format(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750000+00:00")
    }

    @Test func readsOffsetsFractionsAndNaiveTimes() {
        let utc = Date(timeIntervalSince1970: 1_796_182_536)
        #expect(CeleryTime.parse("2026-12-02T03:35:36+00:00") == utc)
        #expect(CeleryTime.parse("2026-12-02T03:35:36Z") == utc)
        #expect(CeleryTime.parse("2026-12-02 03:35:36") == utc)
        #expect(CeleryTime.parse("2026-12-02T05:35:36+02:00") == utc)
        #expect(CeleryTime.parse("2026-12-01T22:35:36-0500") == utc)
        #expect(CeleryTime.parse("2026-12-02T03:35:36.5Z") == utc.addingTimeInterval(0.5))
        #expect(CeleryTime.parse("2026-12-02T03:35:36.123456789Z") == utc.addingTimeInterval(0.123456))
    }

    @Test(arguments: ["", "2026-12-02", "2026-13-02T03:35:36Z", "2026-12-02T03:35:36.Z", "2026-12-02T03:35:36+00:00x", "tomorrow"])
    func refusesWhatIsNotATime(text: String) {
        #expect(CeleryTime.parse(text) == nil)
    }
}

@Suite struct JSONValueTests {
    @Test func keepsIntegersOrderAndNesting() throws {
        let text = #"{"b": 1, "a": [1.5, true, null, "x"], "c": {"d": -9007199254740993}}"#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value.objectValue?.keys == ["b", "a", "c"])
        #expect(value["b"] == .integer(1))
        #expect(value["a"] == [1.5, true, nil, "x"])
        #expect(value["c"]?["d"] == .integer(-9_007_199_254_740_993))
        #expect(try JSONValue.parse(value.jsonBytes) == value)
        #expect(value.jsonText == #"{"b":1,"a":[1.5,true,null,"x"],"c":{"d":-9007199254740993}}"#)
    }

    @Test func isCodable() throws {
        let value: JSONValue = ["n": 1, "list": [1, "two", nil], "flag": false]
        let data = try JSONEncoder().encode(value)
        let back = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(back["list"] == [1, "two", nil])
        #expect(back["flag"] == false)
        #expect(back["n"] == 1)
    }

    @Test func objectsReplaceInPlace() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = 3
        object["b"] = nil
        object["c"] = .null
        #expect(object.keys == ["a", "c"])
        #expect(object["a"] == 3)
        #expect(object != ["c": nil, "a": 3])
    }
}
