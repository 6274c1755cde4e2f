import Testing
import OlleeyKit

@Suite("Support")
struct SupportTests {
    @Test func jsonRoundTripAndEscapes() throws {
        let v: JSON = ["a": 1, "b": [true, nil, 2.5], "s": "q\"\\\n\u{01}é"]
        let text = v.encoded()
        #expect(text == #"{"a":1,"b":[true,null,2.5],"s":"q\"\\\n\u0001é"}"#)
        #expect(try JSON.parse(text) == v)
        #expect(try JSON.parse(#"{"x":"\ud83d\ude00"}"#)["x"]?.stringValue == "😀")
    }

    @Test func jsonParserReportsPosition() {
        do { _ = try JSON.parse("{\n  \"a\": tru\n}"); Issue.record("expected error") } catch let e as JSONParseError {
            #expect(e.line == 2)
        } catch { Issue.record("wrong error \(error)") }
        #expect(throws: JSONParseError.self) { try JSON.parse("[1,]") }
        #expect(throws: JSONParseError.self) { try JSON.parse(String(repeating: "[", count: 10000)) }
    }

    @Test func uuid7IsTimeOrdered() {
        let a = ID.uuid7(millis: 1_700_000_000_000)
        let b = ID.uuid7(millis: 1_700_000_000_001)
        #expect(a < b)
        #expect(a.count == 36)
        #expect(Array(a)[14] == "7")
    }

    @Test func iso8601() {
        #expect(Clock.iso8601(millis: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Clock.parseISO8601("2026-11-26T05:58:54.123Z") == 1_795_672_734_123)
        #expect(Clock.parseISO8601("2026-11-26") == 1_795_651_200_000)
        #expect(Clock.parseISO8601("2026-11-26T07:58:54+02:00") == 1_795_672_734_000)
        #expect(Clock.parseISO8601("yesterday") == nil)
    }

    @Test func sha256FromLibcrypto() {
        #expect(Digest.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func suggestions() {
        #expect(Suggest.closest("confg", among: ["config", "cost", "channel"]) == ["config"])
        #expect(Suggest.closest("zzzzzz", among: ["config", "cost"]).isEmpty)
    }
}
