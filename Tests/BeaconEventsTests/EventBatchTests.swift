import Testing

@testable import BeaconEvents

@Suite struct EventBatchTests {
    func event(_ message: String) -> Event {
        Event(service: "web", kind: .log, level: .info, message: message)
    }

    @Test func encodesOneEventPerLineAndReadsThemBackInOrder() throws {
        let events = (0..<5).map { event("message \($0)\nwith a newline") }
        let body = EventBatch.encode(events)
        #expect(body.filter { $0 == UInt8(ascii: "\n") }.count == 5)
        let decoded = try EventBatch.decode(body, contentType: "application/x-ndjson").map { try $0.get() }
        #expect(decoded == events)
    }

    @Test func aBadLineDoesNotSpoilTheGoodOnes() {
        var body = EventBatch.encode([event("one")])
        body += Array("not json\n\n".utf8)
        body += EventBatch.encode([event("three")])
        let results = EventBatch.decode(body, contentType: "application/x-ndjson; charset=utf-8")
        #expect(results.count == 3)
        #expect((try? results[0].get())?.message == "one")
        #expect((try? results[2].get())?.message == "three")
        guard case .failure(let error) = results[1] else {
            Issue.record("line 2 should fail")
            return
        }
        #expect(error.code == .invalidJSON)
        #expect(error.message.hasPrefix("line 2: "))
    }

    @Test(arguments: [nil, "application/json", "application/json; charset=utf-8", "text/plain"])
    func readsAnythingElseAsOneEvent(contentType: String?) throws {
        let single = event("solo")
        let results = EventBatch.decode(single.jsonBytes(), contentType: contentType)
        #expect(results.count == 1)
        #expect(try results[0].get() == single)
    }

    @Test func anEmptyBatchIsAnError() {
        let results = EventBatch.decode(Array("\n \n".utf8), contentType: "application/x-ndjson")
        #expect(results.count == 1)
        #expect((try? results[0].get()) == nil)
    }

    @Test func recognisesBatchContentTypes() {
        #expect(EventBatch.isBatch(contentType: "application/x-ndjson"))
        #expect(EventBatch.isBatch(contentType: " Application/X-NDJSON ; charset=utf-8"))
        #expect(EventBatch.isBatch(contentType: "application/jsonl"))
        #expect(!EventBatch.isBatch(contentType: "application/json"))
        #expect(!EventBatch.isBatch(contentType: nil))
    }
}

@Suite struct RedactionTests {
    let redaction = Redaction.standard

    @Test(arguments: ["Authorization", "cookie", "SET-COOKIE", "Proxy-Authorization", "X-Api-Key"])
    func secretHeaders(name: String) {
        #expect(redaction.isSecretHeader(name))
    }

    @Test func ordinaryHeadersAreNotSecret() {
        #expect(!redaction.isSecretHeader("Accept"))
        #expect(!redaction.isSecretHeader("X-Request-ID"))
    }

    @Test func redactsSecretQueryValuesOnly() {
        #expect(
            redaction.redactingQuery(ofPath: "/login?user=ada&password=hunter2&access_token=abc&Secret=x&page=2")
                == "/login?user=ada&password=[REDACTED]&access_token=[REDACTED]&Secret=[REDACTED]&page=2"
        )
        #expect(redaction.redactingQuery(ofPath: "/search?q=token+ring") == "/search?q=token+ring")
        #expect(redaction.redactingQuery(ofPath: "/plain") == "/plain")
        #expect(redaction.redactingQuery(ofPath: "/x?pass%77ord=1") == "/x?pass%77ord=[REDACTED]")
        #expect(redaction.redactingQuery(ofPath: "/x?token") == "/x?token=[REDACTED]")
    }

    @Test func secretNamesMatchAnywhereInAnyCase() {
        for name in ["password", "DB_PASSWORD", "x-Access-Token", "sessionid", "pwd", "client.Secret", "SIGNATURE"] {
            #expect(redaction.isSecretName(name), "\(name)")
            #expect(redaction.isSecretName(name[...]), "\(name) as a substring")
        }
        for name in ["", "hb.request.id", "user", "passw", "tok", "http.method", "api key"] {
            #expect(!redaction.isSecretName(name), "\(name)")
        }
        // Non-ASCII names are lowercased by Unicode's rules: the KELVIN SIGN lowercases to "k", so this spells token.
        #expect(redaction.isSecretName("TO\u{212A}EN"))
        #expect(redaction.isSecretName("mot-de-passe-Ü-password"))
        #expect(!redaction.isSecretName("mot-de-passe-Ü"))
        // Configured words, ASCII or not, in any case.
        let custom = Redaction(secretWords: ["PIN", "Kennwort-ß"])
        #expect(custom.isSecretName("card_Pin"))
        #expect(custom.isSecretName("mein-KENNWORT-ß"))
        #expect(!custom.isSecretName("kennwort-ss"))
    }

    @Test func configuredNamesAddToTheDefaults() {
        let custom = Redaction(headerNames: ["X-Tenant-Key"], secretWords: ["PIN"])
        #expect(custom.isSecretHeader("x-tenant-key"))
        #expect(custom.isSecretHeader("cookie"))
        #expect(custom.redactingQuery(ofPath: "/card?pin=1234") == "/card?pin=[REDACTED]")
    }

    @Test func redactsPasswordsInURLs() {
        #expect(
            redaction.redactingPassword(inURL: "amqp://beacon:s3cr%40t@rabbit:5672/%2F")
                == "amqp://beacon:[REDACTED]@rabbit:5672/%2F"
        )
        #expect(redaction.redactingPassword(inURL: "amqp://rabbit:5672/") == "amqp://rabbit:5672/")
        #expect(redaction.redactingPassword(inURL: "smtp://user@mail:25") == "smtp://user@mail:25")
        // A password with an unencoded '/', '?' or '#' is hidden too: the user info ends at the last '@', which may hide
        // more than the password when a path or query holds an '@' (the safe side).
        #expect(redaction.redactingPassword(inURL: "amqp://beacon:ab/cd@rabbit/") == "amqp://beacon:[REDACTED]@rabbit/")
        #expect(redaction.redactingPassword(inURL: "smtp://ops:p?w#d@mail:25") == "smtp://ops:[REDACTED]@mail:25")
        #expect(redaction.redactingPassword(inURL: "https://a:b@c/d?e=@f") == "https://a:[REDACTED]@f")
        #expect(redaction.redactingPassword(inURL: "amqp:/u:pw@h") == "[REDACTED]@h", "no '://': all before the '@'")
        #expect(!redaction.redactingPassword(inURL: "amqp://u:hunter2@h/v@x?y").contains("hunter2"))
    }
}
