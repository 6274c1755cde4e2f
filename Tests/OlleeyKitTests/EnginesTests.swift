import Foundation
import Testing
import OlleeyKit
import WebVTT
import OlleeyTestSupport

enum Tools {
    static let apertium = ToolCheck.installed("apertium")
    static let apertiumPairs: Bool = {
        guard apertium, let modes = try? ApertiumTranslator().modes() else { return false }
        return modes.contains("eng-spa") && modes.contains("eng-cat") && modes.contains("en-eo")
    }()
    static let espeak = ToolCheck.installed("espeak-ng")
    static let ffmpeg = ToolCheck.missing(["ffmpeg", "ffprobe"]).isEmpty
    static let pocketsphinx = (Subprocess.which("pocketsphinx_continuous") != nil || Subprocess.which("pocketsphinx") != nil)
        && FileManager.default.fileExists(atPath: PocketsphinxTranscriber.modelDir + "/en-us")
    static let python3 = ToolCheck.installed("python3")
}

/// A deterministic stand-in translator for testing the check-and-reask loop: answers from a
/// script of per-attempt replies, and records what it was asked.
final class ScriptedStandInTranslator: Translator, @unchecked Sendable {
    let name = "scripted-stand-in"
    private let lock = NSLock()
    private(set) var calls: [[String]] = []
    let answer: @Sendable ([TextCue], Int) -> [TextCue]
    /// As apertium: words it does not know come back as they are.
    let copiesUnknownWords: Bool
    init(copiesUnknownWords: Bool = false, _ answer: @escaping @Sendable ([TextCue], Int) -> [TextCue]) {
        self.copiesUnknownWords = copiesUnknownWords
        self.answer = answer
    }
    func version(from source: String, to target: String) throws -> String { "1" }
    func preflight(sourceLang: String, targetLangs: [String]) throws {}
    func translate(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue] {
        lock.lock()
        calls.append(cues.map(\.id))
        let n = calls.count
        lock.unlock()
        return answer(cues, n)
    }
}

@Suite("Engines")
struct EnginesTests {
    let fx = MediaFixtures.shared

    // MARK: templates and settings

    @Test("command templates split like a shell and substitute inside words")
    func templates() throws {
        let t = try CommandTemplate(#"my-mt --in={input} "two words" 'it''s' a\ b {src}-{tgt} {unknown}"#, setting: "x")
        #expect(t.words == ["my-mt", "--in={input}", "two words", "its", "a b", "{src}-{tgt}", "{unknown}"])
        #expect(t.render(["input": "/tmp/my file.json", "src": "en", "tgt": "es"])
                == ["my-mt", "--in=/tmp/my file.json", "two words", "its", "a b", "en-es", "{unknown}"])
        #expect(t.uses("input") && !t.uses("output"))
        #expect(throws: OlleeyError.self) { _ = try CommandTemplate("a 'b", setting: "x") }
        #expect(throws: OlleeyError.self) { _ = try CommandTemplate("   ", setting: "x") }
        #expect(t.fingerprint.count == 12)
    }

    @Test("engine factory: names, defaults, settings, env fallbacks and errors")
    func factory() throws {
        let f = EngineFactory(settings: [:], environment: [:])
        #expect(try f.translator().name == "apertium")
        #expect(try f.speaker().name == "espeak-ng")
        #expect(try f.transcriber().name == "pocketsphinx")
        #expect(try f.separator() == nil)
        #expect(try f.translator("pseudo").name == "pseudo")
        do { _ = try f.translator("apertum"); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .config)
            #expect(e.hint?.contains("apertium") == true)
        }
        do { _ = try f.translator("command"); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .config)
            #expect(e.message.contains("engines.translate.command"))
        }
        do { _ = try f.translator("http"); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .config)
            #expect(e.message.contains("engines.http.base_url"))
        }
        let env = EngineFactory(settings: ["engines.translate": "http", "engines.translate.model": "m7"],
                                environment: ["OLLEEY_HTTP_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-x"])
        let h = try #require(try env.translator() as? HTTPChatTranslator)
        #expect(h.model == "m7")
        #expect(h.endpoint.apiKey == "sk-x")
        #expect(h.endpoint.url("chat/completions") == "http://127.0.0.1:9/v1/chat/completions")
        #expect(HTTPEndpoint(baseURL: "http://h:1/").url("audio/speech") == "http://h:1/v1/audio/speech")
        let set = EngineFactory(settings: ["engines.speak": "espeak-ng", "engines.speak.rate": "210", "engines.speak.voice": "+f3",
                                           "engines.separate.command": "sep {input} {output}", "engines.translate.command": "x {input}",
                                           "engines.translate.command_format": "lines"], environment: [:])
        #expect((try set.speaker() as? EspeakSpeaker)?.rate == 210)
        #expect(try set.separator()?.name == "command")
        #expect((try set.translator("command") as? CommandTranslator)?.format == .lines)
        #expect(throws: OlleeyError.self) { _ = try EngineFactory(settings: ["engines.speak.rate": "fast"], environment: [:]).speaker() }
        #expect(throws: OlleeyError.self) { _ = try EngineFactory(settings: ["engines.speak.command": "tts {text}"], environment: [:]).speaker("command") }
    }

    @Test("engine set preflight fails before any work, naming what is missing",
          .enabled(if: Tools.apertiumPairs && Tools.espeak && Tools.ffmpeg, "apertium, espeak-ng or ffmpeg not installed"))
    func engineSetPreflight() throws {
        let f = EngineFactory(settings: [:], environment: [:])
        let set = try f.engines(needsTranscription: false)
        #expect(set.transcriber == nil)
        try set.preflight(sourceLang: "en", targetLangs: ["es", "ca", "eo"])
        do { try set.preflight(sourceLang: "en", targetLangs: ["es", "fr"]); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .unavailable)
            #expect(e.message.contains("en-fr"))
        }
        let withASR = try f.engines(translate: "pseudo", needsTranscription: true)
        #expect(withASR.transcriber?.name == "pocketsphinx")
        #expect(throws: OlleeyError.self) { try withASR.preflight(sourceLang: "de", targetLangs: ["es"]) } // no German ASR model
    }

    // MARK: translation checks

    @Test("translation check: count, ids, order, empty and untranslated cues")
    func checks() {
        let src = [TextCue(id: "1", text: "Hello my friend."), TextCue(id: "2", text: "How are you?"), TextCue(id: "3", text: "John Smith"),
                   TextCue(id: "4", text: "2024"), TextCue(id: "5", text: "Yes.")]
        let good = [TextCue(id: "1", text: "Hola amigo."), TextCue(id: "2", text: "¿Cómo estás?"), TextCue(id: "3", text: "John Smith"),
                    TextCue(id: "4", text: "2024"), TextCue(id: "5", text: "Yes.")]
        #expect(TranslationCheck.issues(source: src, translated: good).isEmpty) // names, numbers and 1-word cues may stay
        let bad = [TextCue(id: "2", text: "how ARE you"), TextCue(id: "1", text: " "), TextCue(id: "9", text: "x"), TextCue(id: "4", text: "2024")]
        let issues = TranslationCheck.issues(source: src, translated: bad)
        let byKind = Dictionary(grouping: issues, by: \.kind).mapValues { $0.map(\.id).sorted() }
        #expect(byKind[.untranslated] == ["2"])
        #expect(byKind[.empty] == ["1"])
        #expect(byKind[.unexpected] == ["9"])
        #expect(byKind[.missing] == ["3", "5"])
        #expect(byKind[.outOfOrder]?.contains("1") == true)
        #expect(TranslationCheck.problem(source: "", translation: "") == nil)
        #expect(TranslationCheck.problem(source: "Barcelona, Madrid!", translation: "Barcelona, Madrid!") == nil)
        #expect(TranslationCheck.problem(source: "Good morning", translation: "good morning.")?.0 == .untranslated)
    }

    @Test("a failing cue is re-asked alone; what still fails is reported by id (deterministic stand-in translator)")
    func reask() throws {
        let src = (1...5).map { TextCue(id: "c\($0)", text: "source sentence number \($0)") }
        let t = ScriptedStandInTranslator { cues, call in
            if call == 1 {
                // first answer: c2 missing, c3 untranslated, c4 empty, order of c1/c5 swapped
                return [TextCue(id: "c5", text: "frase 5"), TextCue(id: "c3", text: cues[2].text), TextCue(id: "c4", text: ""),
                        TextCue(id: "c1", text: "frase 1")]
            }
            // re-asks: c3 stays untranslated, the others are fixed
            return cues.map { TextCue(id: $0.id, text: $0.id == "c3" ? $0.text : "frase \($0.id.dropFirst())") }
        }
        let out = try TranslationCheck.translate(src, with: t, from: "en", to: "es")
        #expect(out.cues.map(\.id) == src.map(\.id))
        #expect(out.cues.map(\.text) == ["frase 1", "frase 2", "source sentence number 3", "frase 4", "frase 5"])
        #expect(out.retried == ["c2", "c3", "c4"])
        #expect(t.calls.dropFirst().allSatisfy { $0.count == 1 })
        #expect(out.failures.map(\.id) == ["c3"])
        #expect(out.failures.first?.kind == .untranslated)
        do { try out.throwIfFailed(engine: "scripted", target: "es"); Issue.record("expected failure") } catch let e as OlleeyError {
            #expect(e.message.contains("c3"))
            #expect(!e.message.contains("c2"))
        }
        #expect(throws: OlleeyError.self) {
            _ = try TranslationCheck.translate([TextCue(id: "a", text: "x"), TextCue(id: "a", text: "y")], with: t, from: "en", to: "es")
        }
    }

    @Test("an engine that copies unknown words (as apertium): a few copied cues are kept and reported; mostly copies, or any other engine, fail (deterministic stand-in translator)")
    func copiedCues() throws {
        let src = (1...5).map { TextCue(id: "c\($0)", text: "source sentence number \($0)") }
        // c3 comes back as it was (words the engine does not know); the rest are translated
        let oneCopy: @Sendable ([TextCue], Int) -> [TextCue] = { cues, _ in cues.map { TextCue(id: $0.id, text: $0.id == "c3" ? $0.text : "frase \($0.id.dropFirst())") } }
        let rule = try TranslationCheck.translate(src, with: ScriptedStandInTranslator(copiesUnknownWords: true, oneCopy), from: "en", to: "es")
        #expect(rule.ok && rule.copied == ["c3"], "\(rule.failures)")
        #expect(rule.cues[2].text == "source sentence number 3")
        let other = try TranslationCheck.translate(src, with: ScriptedStandInTranslator(oneCopy), from: "en", to: "es")
        #expect(other.failures.map(\.id) == ["c3"] && other.copied.isEmpty)
        // three copies of five: the engine did not translate, whatever its kind
        let mostly: @Sendable ([TextCue], Int) -> [TextCue] = { cues, _ in cues.map { TextCue(id: $0.id, text: ["c1", "c2"].contains($0.id) ? "frase" : $0.text) } }
        let bad = try TranslationCheck.translate(src, with: ScriptedStandInTranslator(copiesUnknownWords: true, mostly), from: "en", to: "es")
        #expect(bad.failures.map(\.id) == ["c3", "c4", "c5"] && bad.copied.isEmpty)
    }

    @Test("pseudo translator is labelled in every cue it touches")
    func pseudo() throws {
        let out = try PseudoTranslator().translate([TextCue(id: "1", text: "Hi there"), TextCue(id: "2", text: "")], from: "en", to: "es", cancel: .never)
        #expect(out == [TextCue(id: "1", text: "[pseudo-es] Hi there"), TextCue(id: "2", text: "")])
    }

    // MARK: apertium

    @Test("apertium translates all cues in one call to es, ca and eo, ids kept",
          .enabled(if: Tools.apertiumPairs, "apertium with eng-spa, eng-cat, en-eo not installed (scripts/bootstrap)"))
    func apertium() throws {
        let a = ApertiumTranslator()
        try a.preflight(sourceLang: "en", targetLangs: ["es", "ca", "eo"])
        let cues = [TextCue(id: "a", text: "Hello, my friend."), TextCue(id: "b", text: "The cat\nis on the table."),
                    TextCue(id: "c", text: ""), TextCue(id: "d", text: "It is raining."),
                    TextCue(id: "e", text: "Prices rose 50% & [fell] again: ^ $ / \\ {ok}")]
        let es = try a.translate(cues, from: "en", to: "es", cancel: .never)
        #expect(es.map(\.id) == ["a", "b", "c", "d", "e"])
        #expect(es[0].text == "Hola, mi amigo.")
        #expect(es[1].text.contains("gato") && !es[1].text.contains("\n"))
        #expect(es[2].text == "")
        #expect(es[3].text == "Está lloviendo.")
        #expect(es[4].text.contains("50%") && es[4].text.contains("{") && es[4].text.contains("^ $ / \\"))
        let ca = try a.translate([TextCue(id: "1", text: "Good morning.")], from: "en", to: "ca", cancel: .never)
        #expect(ca[0].text == "Bon dia.")
        let eo = try a.translate([TextCue(id: "1", text: "Good morning.")], from: "en", to: "eo", cancel: .never)
        #expect(eo[0].text == "Bonan matenon.")
        #expect(try a.version(from: "en", to: "es").contains("eng-spa"))
        #expect(try a.version(from: "en", to: "es") != a.version(from: "en", to: "ca"))
    }

    @Test("apertium: unknown-word marks are removed; an untranslatable cue is kept as it was and reported by id (one of three: not a failure)",
          .enabled(if: Tools.apertiumPairs, "apertium pairs not installed"))
    func apertiumUnknown() throws {
        let cues = [TextCue(id: "1", text: "The goed mouses runned."), TextCue(id: "2", text: "zorblat quimbex flurp"),
                    TextCue(id: "3", text: "I have two dogs.")]
        let out = try TranslationCheck.translate(cues, with: ApertiumTranslator(), from: "en", to: "es")
        #expect(!out.cues[0].text.contains("*"))
        #expect(out.cues[2].text == "Tengo dos perros.")
        #expect(out.failures.isEmpty && out.copied == ["2"], "\(out.failures)")
        #expect(out.cues[1].text == "zorblat quimbex flurp")
        #expect(out.retried == ["2"])
        // two of three untranslatable: apertium did not translate this text; a failure
        let most = try TranslationCheck.translate([cues[1], TextCue(id: "4", text: "blorf wizzle grunk"), cues[2]], with: ApertiumTranslator(), from: "en", to: "es")
        #expect(most.failures.map(\.id) == ["2", "4"] && most.copied.isEmpty)
        #expect(ApertiumTranslator.clean("#foo @bar *baz x", source: "plain") == "foo bar baz x")
        #expect(ApertiumTranslator.clean("#tag", source: "#tag") == "#tag")
        #expect(ApertiumTranslator.clean("# alone", source: "x") == "# alone")
        #expect(ApertiumTranslator.paragraphs(" Uno\n\n\n dos\ntres \n  \nfour\n") == ["Uno", "dos tres", "four"])
    }

    @Test("apertium preflight names the missing pair and what to install",
          .enabled(if: Tools.apertium, "apertium not installed"))
    func apertiumPreflight() throws {
        do { try ApertiumTranslator().preflight(sourceLang: "en", targetLangs: ["es", "fr"]); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .unavailable)
            #expect(e.message.contains("en-fr"))
            #expect(e.hint?.contains("apertium-eng-fra") == true)
        }
    }

    @Test("apertium keeps 3,000 cues aligned in one call", .enabled(if: Tools.apertiumPairs, "apertium pairs not installed"))
    func apertiumScale() throws {
        let words = ["the", "house", "is", "big", "we", "run", "quickly", "small", "dog", "tree", "morning"]
        let cues = (0..<3000).map { k in TextCue(id: "\(k)", text: (0..<(1 + k % 9)).map { words[($0 * 7 + k) % words.count] }.joined(separator: " ") + (k % 3 == 0 ? "." : "")) }
        let out = try ApertiumTranslator().translate(cues, from: "en", to: "es", cancel: .never)
        #expect(out.map(\.id) == cues.map(\.id))
        #expect(out.allSatisfy { !$0.text.isEmpty })
    }

    // MARK: command translator

    @Test("command translator, lines contract, stdin to stdout (real tr)")
    func commandLines() throws {
        let t = CommandTranslator(template: try CommandTemplate("tr a-z A-Z", setting: "t"), format: .lines)
        let out = try t.translate([TextCue(id: "1", text: "hello\nthere"), TextCue(id: "2", text: "bye")], from: "en", to: "xx", cancel: .never)
        #expect(out == [TextCue(id: "1", text: "HELLO THERE"), TextCue(id: "2", text: "BYE")])
        let short = CommandTranslator(template: try CommandTemplate("head -n 1", setting: "t"), format: .lines)
        #expect(throws: OlleeyError.self) { _ = try short.translate([TextCue(id: "1", text: "a"), TextCue(id: "2", text: "b")], from: "en", to: "es", cancel: .never) }
        let failing = CommandTranslator(template: try CommandTemplate("sh -c 'echo broken model >&2; exit 4'", setting: "t"))
        do { _ = try failing.translate([TextCue(id: "1", text: "a")], from: "en", to: "es", cancel: .never); Issue.record("expected error") }
        catch let e as OlleeyError { #expect(e.message.contains("broken model")) }
        let missing = CommandTranslator(template: try CommandTemplate("no-such-mt-tool {input}", setting: "t"))
        #expect(throws: OlleeyError.self) { try missing.preflight(sourceLang: "en", targetLangs: ["es"]) }
    }

    @Test("command translator, JSON contract with {input} {output} {src} {tgt} files", .enabled(if: Tools.python3, "python3 not installed"))
    func commandJSON() throws {
        let script = """
        import json,sys
        d=json.load(open(sys.argv[1]))
        out={"cues":[{"id":c["id"],"text":"<"+sys.argv[3]+">"+c["text"][::-1]} for c in d["cues"]]}
        json.dump(out,open(sys.argv[2],"w"))
        """
        let t = CommandTranslator(template: try CommandTemplate("python3 -c '\(script)' {input} {output} {tgt}", setting: "t"))
        let out = try t.translate([TextCue(id: "x1", text: "abc"), TextCue(id: "x2", text: "héllo \"q\"")], from: "en", to: "de", cancel: .never)
        #expect(out == [TextCue(id: "x1", text: "<de>cba"), TextCue(id: "x2", text: "<de>\"q\" olléh")])
    }

    // MARK: http translator (stand-in server)

    @Test("http chat translator against a stand-in OpenAI-compatible server: ids sent, fenced JSON parsed, failing cue re-asked alone")
    func httpTranslator() throws {
        let server = try StandInHTTPServer { req in
            guard req.path == "/v1/chat/completions", let body = req.json,
                  let user = body["messages"]?.arrayValue?.last?["content"]?.stringValue, let cues = try? JSON.parse(user)["cues"]?.arrayValue
            else { return .text("bad request", status: 400) }
            // Drops cue "2" when asked for several cues at once; answers it when asked alone.
            let answer = cues.filter { cues.count == 1 || $0["id"]?.stringValue != "2" }.map { c -> JSON in
                .object([("id", c["id"] ?? .null), ("text", .string("ES:" + (c["text"]?.stringValue ?? "")))])
            }
            let content = "```json\n" + JSON.object([("cues", .array(answer))]).encoded() + "\n```"
            return .json(["choices": [["message": ["role": "assistant", "content": .string(content)]]]])
        }
        defer { server.stop() }
        let f = EngineFactory(settings: ["engines.http.base_url": server.baseURL, "engines.http.api_key": "k1", "engines.translate.model": "mt-test"], environment: [:])
        let t = try f.translator("http")
        try t.preflight(sourceLang: "en", targetLangs: ["es"])
        let cues = [TextCue(id: "1", text: "one"), TextCue(id: "2", text: "two"), TextCue(id: "3", text: "three")]
        let out = try TranslationCheck.translate(cues, with: t, from: "en", to: "es")
        #expect(out.ok)
        #expect(out.cues.map(\.text) == ["ES:one", "ES:two", "ES:three"])
        #expect(out.retried == ["2"])
        let first = try #require(server.requests.first)
        #expect(first.header("Authorization") == "Bearer k1")
        #expect(first.json?["model"]?.stringValue == "mt-test")
        #expect(first.json?["response_format"]?["type"]?.stringValue == "json_object")
        #expect(first.json?["messages"]?.arrayValue?.first?["content"]?.stringValue?.contains("Spanish") == true)
        #expect(server.requests.count == 2)
    }

    @Test("http engines retry 429/5xx, and report a refused key as a configuration error (stand-in server)")
    func httpRetries() throws {
        final class Counter: @unchecked Sendable { let l = NSLock(); var n = 0; func next() -> Int { l.lock(); defer { l.unlock() }; n += 1; return n } }
        let counter = Counter()
        let server = try StandInHTTPServer { req in
            if req.header("Authorization") == "Bearer bad" { return .json(["error": ["message": "invalid key"]], status: 401) }
            if counter.next() < 3 { return .init(status: 503, headers: [("Retry-After", "0")]) }
            return .json(["choices": [["message": ["content": #"{"cues":[{"id":"1","text":"uno"}]}"#]]]])
        }
        defer { server.stop() }
        let ok = HTTPChatTranslator(endpoint: HTTPEndpoint(baseURL: server.baseURL, retries: 2, backoff: 0.01))
        #expect(try ok.translate([TextCue(id: "1", text: "one")], from: "en", to: "es", cancel: .never) == [TextCue(id: "1", text: "uno")])
        let bad = HTTPChatTranslator(endpoint: HTTPEndpoint(baseURL: server.baseURL, apiKey: "bad", retries: 0))
        do { _ = try bad.translate([TextCue(id: "1", text: "one")], from: "en", to: "es", cancel: .never); Issue.record("expected error") }
        catch let e as OlleeyError {
            #expect(e.code == .config)
            #expect(e.message.contains("invalid key"))
        }
    }

    // MARK: http describer (stand-in server)

    @Test("http describer: the gap's frames go as base64 PNG image_url parts to chat completions; 5xx retried; empty answers and a refused key are clear errors (stand-in server)")
    func httpDescriber() throws {
        final class Counter: @unchecked Sendable { let l = NSLock(); var n = 0; func next() -> Int { l.lock(); defer { l.unlock() }; n += 1; return n } }
        let counter = Counter()
        // a stand-in vision model: NOT a description of anything; answers from what it was sent
        let server = try StandInHTTPServer { req in
            guard req.path == "/v1/chat/completions", let body = req.json else { return .text("bad request", status: 400) }
            if req.header("Authorization") == "Bearer bad" { return .json(["error": ["message": "invalid key"]], status: 401) }
            if counter.next() == 1 { return .init(status: 503, headers: [("Retry-After", "0")]) }
            let parts = body["messages"]?.arrayValue?.last?["content"]?.arrayValue ?? []
            let images = parts.filter { $0["type"]?.stringValue == "image_url" }
            if body["model"]?.stringValue == "mute" { return .json(["choices": [["message": ["content": "  \n "]]]]) }
            return .json(["choices": [["message": ["role": "assistant", "content": .string("Stand-in: \(images.count) frames.\nSecond line.")]]]])
        }
        defer { server.stop() }
        let dir = TempDir()
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
        for k in 1...3 { try FileIO.writeAtomically(png, to: dir.path + "/frame-\(k).png") }
        let f = EngineFactory(settings: ["engines.describe": "http", "engines.http.base_url": server.baseURL, "engines.describe.api_key": "dk",
                                         "engines.describe.model": "vision-test", "engines.http.retries": "2"], environment: [:])
        let d = try #require(try f.describer())
        #expect(d.name == "http")
        try d.preflight()
        #expect(try d.version().contains("vision-test"))
        let text = try d.describe(frame: dir.path + "/frame-2.png", framesDir: dir.path, startMs: 3000, endMs: 7000, language: "es", cancel: .never)
        #expect(text == "Stand-in: 3 frames. Second line.")
        #expect(server.requests.count == 2)  // the 503 was retried
        let req = try #require(server.requests.last)
        #expect(req.header("Authorization") == "Bearer dk")
        let body = try #require(req.json)
        #expect(body["model"]?.stringValue == "vision-test")
        let system = body["messages"]?.arrayValue?.first?["content"]?.stringValue ?? ""
        #expect(system.contains("Spanish") && system.contains("At most 10 words"), "\(system)")
        let parts = body["messages"]?.arrayValue?.last?["content"]?.arrayValue ?? []
        let urls = parts.compactMap { $0["image_url"]?["url"]?.stringValue }
        #expect(urls.count == 3)
        #expect(urls.first == "data:image/png;base64," + Data(png).base64EncodedString())
        #expect(parts.first?["text"]?.stringValue?.contains("3.000") == true)

        // an empty answer: an error naming the gap, never an empty description
        let mute = try #require(try EngineFactory(settings: ["engines.describe": "http", "engines.http.base_url": server.baseURL, "engines.describe.model": "mute"],
                                                  environment: [:]).describer())
        do { _ = try mute.describe(frame: dir.path + "/frame-2.png", framesDir: dir.path, startMs: 3000, endMs: 7000, language: "en", cancel: .never); Issue.record("expected error") }
        catch let e as OlleeyError { #expect(e.message.contains("returned nothing") && e.message.contains("3.000"), "\(e.message)") }
        // a refused key: a configuration error
        let bad = HTTPVisionDescriber(endpoint: HTTPEndpoint(baseURL: server.baseURL, apiKey: "bad", retries: 0))
        do { _ = try bad.describe(frame: dir.path + "/frame-2.png", framesDir: dir.path, startMs: 0, endMs: 2000, language: "en", cancel: .never); Issue.record("expected error") }
        catch let e as OlleeyError { #expect(e.code == .config && e.message.contains("invalid key")) }
        // no server configured: a configuration error naming the setting
        do { _ = try EngineFactory(settings: ["engines.describe": "http"], environment: [:]).describer(); Issue.record("expected error") }
        catch let e as OlleeyError { #expect(e.code == .config && e.message.contains("base_url")) }
        // an unknown describer names the ones there are
        do { _ = try EngineFactory(settings: ["engines.describe": "htp"], environment: [:]).describer(); Issue.record("expected error") }
        catch let e as OlleeyError { #expect(e.code == .config && (e.hint ?? "").contains("http")) }
    }

    // MARK: speakers

    @Test("espeak-ng speaks es, ca, eo and en to WAV; speaking rate measured", .enabled(if: Tools.espeak, "espeak-ng not installed"))
    func espeak() throws {
        let s = EspeakSpeaker()
        try s.preflight(languages: ["en", "es", "ca", "eo"])
        let dir = TempDir()
        for (lang, text) in [("es", "Hola, mundo."), ("ca", "Bon dia."), ("eo", "Bonan matenon."), ("en", "-n starts with a dash")] {
            let out = dir.path + "/\(lang).wav"
            try s.synthesize(text, language: lang, voice: nil, to: out, cancel: .never)
            let h = try #require(try WAVHeader.read(out))
            #expect(h.durationMs > 300, "\(lang): \(h.durationMs) ms")
        }
        let variant = dir.path + "/f3.wav"
        try s.synthesize("Hola", language: "es", voice: "+f3", to: variant, cancel: .never)
        #expect(try WAVHeader.read(variant) != nil)
        let cps = try s.measureCharsPerSecond(language: "es", voice: nil, scratchDir: dir.path)
        #expect(cps > 8 && cps < 30, "espeak-ng es: \(cps) chars/s")
        let faster = try EspeakSpeaker(rate: 260).measureCharsPerSecond(language: "es", voice: nil, scratchDir: dir.path)
        #expect(faster > cps * 1.2)
        #expect(try s.version(language: "es").hasPrefix("espeak-ng 1."))
        do { try s.preflight(languages: ["es", "xx"]); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .unavailable)
            #expect(e.message.contains("xx"))
        }
        #expect(EspeakSpeaker.voiceArgument(language: "es", voice: "+m2") == "es+m2")
        #expect(EspeakSpeaker.voiceArgument(language: "pt_BR", voice: nil) == "pt-br")
        #expect(EspeakSpeaker.voiceArgument(language: "es", voice: "es-419") == "es-419")
    }

    @Test("command speaker runs a real TTS command; non-WAV output is converted",
          .enabled(if: Tools.espeak && Tools.ffmpeg, "espeak-ng or ffmpeg not installed"))
    func commandSpeaker() throws {
        let dir = TempDir()
        let wav = try CommandSpeaker(template: try CommandTemplate("espeak-ng -v {lang} -w {output} {text}", setting: "s"))
        try wav.synthesize("Hola a todos", language: "es", voice: nil, to: dir.path + "/a.wav", cancel: .never)
        #expect(try WAVHeader.read(dir.path + "/a.wav")?.format.sampleRate == 22050)
        let flac = try CommandSpeaker(template: try CommandTemplate(
            #"sh -c 'espeak-ng -v "$1" --stdout -f "$2" | ffmpeg -nostdin -loglevel error -y -i - -f flac "$3"' sh {lang} {text_file} {output}"#, setting: "s"))
        try flac.synthesize("Bon dia a tothom", language: "ca", voice: nil, to: dir.path + "/b.wav", cancel: .never)
        let h = try #require(try WAVHeader.read(dir.path + "/b.wav"))
        #expect(h.durationMs > 500)
        let silent = try CommandSpeaker(template: try CommandTemplate("true {output}", setting: "s"))
        #expect(throws: OlleeyError.self) { try silent.synthesize("x", language: "es", voice: nil, to: dir.path + "/c.wav", cancel: .never) }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/c.wav"))
    }

    @Test("http speech speaker against a stand-in server returning real WAV audio", .enabled(if: Tools.espeak, "espeak-ng not installed"))
    func httpSpeaker() throws {
        let speech = try fx.speech("Hello there", name: "http-tts.wav")
        let wavBytes = try FileIO.read(speech)
        let server = try StandInHTTPServer { req in
            req.path == "/v1/audio/speech" ? .init(headers: [("Content-Type", "audio/wav")], body: wavBytes) : .text("no", status: 404)
        }
        defer { server.stop() }
        let s = try EngineFactory(settings: ["engines.http.base_url": server.baseURL + "/v1", "engines.speak.voice.es": "nova"], environment: [:]).speaker("http")
        let dir = TempDir()
        try s.synthesize("Hola", language: "es", voice: nil, to: dir.path + "/o.wav", cancel: .never)
        #expect(try FileIO.read(dir.path + "/o.wav") == wavBytes)
        let req = try #require(server.requests.first?.json)
        #expect(req["input"]?.stringValue == "Hola")
        #expect(req["voice"]?.stringValue == "nova")
        #expect(req["model"]?.stringValue == "tts-1")
        #expect(req["response_format"]?.stringValue == "wav")
    }

    // MARK: transcribers

    @Test("cue grouping: at most 7 s and 42 characters, broken at pauses")
    func grouping() {
        var words: [TimedWord] = []
        var t = 0
        for k in 0..<40 { words.append(TimedWord(word: "word\(k)", startMs: t, endMs: t + 300)); t += k == 10 ? 2000 : 350 }
        let cues = CueGrouping.group(words)
        #expect(cues.allSatisfy { $0.endMs - $0.startMs <= 7000 && $0.text.count <= 42 })
        #expect(cues.map { $0.text.split(separator: " ").count }.reduce(0, +) == 40)
        #expect(cues.contains { $0.text.hasSuffix("word10") }) // the pause after word10 ends a cue
        let long = (0..<30).map { TimedWord(word: "a", startMs: $0 * 400, endMs: $0 * 400 + 350) }
        #expect(CueGrouping.group(long).allSatisfy { $0.endMs - $0.startMs <= 7000 })
    }

    @Test("pocketsphinx output parsing (0.8 time lines and 5.x JSON)")
    func pocketsphinxParsing() {
        let text = "hello world\n<s> 0.000 0.320 0.999000\nhello 0.330 0.650 0.99\n<sil> 0.66 1.0 1\nworld(2) 1.070 1.540 0.5\n[NOISE] 1.6 1.7 1\n</s> 1.8 2.0 1\n"
        #expect(PocketsphinxTranscriber.parseTimeLines(text) == [TimedWord(word: "hello", startMs: 330, endMs: 650), TimedWord(word: "world", startMs: 1070, endMs: 1540)])
        let json = #"{"b":0.0,"d":1.5,"p":1,"t":"hi there","w":[{"b":0.0,"d":0.1,"p":1,"t":"<sil>"},{"b":0.1,"d":0.4,"p":1,"t":"hi"},{"b":0.5,"d":0.5,"p":1,"t":"there(2)"}]}"#
        #expect(PocketsphinxTranscriber.parseJSONLines(json) == [TimedWord(word: "hi", startMs: 100, endMs: 500), TimedWord(word: "there", startMs: 500, endMs: 1000)])
    }

    @Test("pocketsphinx transcribes English speech into timed cues", .enabled(if: Tools.pocketsphinx && Tools.espeak && Tools.ffmpeg,
          "pocketsphinx (+ pocketsphinx-en-us), espeak-ng or ffmpeg not installed"))
    func pocketsphinx() throws {
        let speech = try fx.speech("Hello world. This is a test of the speech recognition system. The weather is nice today.", name: "asr.wav")
        let asr16 = fx.dir.path + "/asr16.wav"
        try FFmpeg().convertAudio(speech, to: asr16, format: .speech)
        let t = try EngineFactory(settings: [:], environment: [:]).transcriber()
        try t.preflight(language: "en")
        let cues = try t.transcribe(asr16, language: "en", cancel: .never)
        let dur = try FFmpeg().audioDurationMs(asr16)
        #expect(!cues.isEmpty)
        #expect(cues.allSatisfy { $0.startMs >= 0 && $0.endMs <= dur + 50 && $0.startMs <= $0.endMs && !$0.text.isEmpty && $0.text.count <= 42 })
        #expect(zip(cues, cues.dropFirst()).allSatisfy { $0.endMs <= $1.startMs })
        do { try t.preflight(language: "es"); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .unavailable)
            #expect(e.message.contains("English"))
        }
    }

    @Test("transcript answers: WebVTT, SRT, verbose_json and start_ms JSON")
    func transcriptParsing() throws {
        let vtt = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500 align:start\nHello\nthere\n\n00:03.000 --> 00:04.000\nBye\n"
        #expect(try TranscriptParser.parse(vtt, what: "t") == [TimedCue(startMs: 1000, endMs: 2500, text: "Hello\nthere"), TimedCue(startMs: 3000, endMs: 4000, text: "Bye")])
        let srt = "1\r\n00:00:01,200 --> 00:00:02,000\r\nUno\r\n\r\n2\r\n00:00:02,500 --> 00:00:03,000\r\nDos\r\n"
        #expect(try TranscriptParser.parse(srt, what: "t").map(\.text) == ["Uno", "Dos"])
        let vj = #"{"text":"a b","segments":[{"id":0,"start":0.5,"end":1.25,"text":" a"},{"id":1,"start":1.5,"end":2.0,"text":" b"}]}"#
        #expect(try TranscriptParser.parse(vj, what: "t") == [TimedCue(startMs: 500, endMs: 1250, text: "a"), TimedCue(startMs: 1500, endMs: 2000, text: "b")])
        #expect(try TranscriptParser.parse(#"[{"start_ms":10,"end_ms":20,"text":"x"}]"#, what: "t") == [TimedCue(startMs: 10, endMs: 20, text: "x")])
        #expect(throws: OlleeyError.self) { _ = try TranscriptParser.parse("complete nonsense", what: "t") }
    }

    @Test("command transcriber reads the {output} file a real command writes", .enabled(if: Tools.ffmpeg, "ffmpeg not installed"))
    func commandTranscriber() throws {
        let t = CommandTranscriber(template: try CommandTemplate(
            #"sh -c 'test -s "$1" && printf "WEBVTT\n\n00:00.500 --> 00:01.500\n%s\n" "$3" > "$2"' sh {input} {output} {lang}"#, setting: "t"))
        let audio = try fx.tone(300)
        #expect(try t.transcribe(audio, language: "en", cancel: .never) == [TimedCue(startMs: 500, endMs: 1500, text: "en")])
    }

    @Test("http transcriber posts multipart audio to a stand-in server and reads verbose_json segments",
          .enabled(if: Tools.ffmpeg, "ffmpeg not installed"))
    func httpTranscriber() throws {
        let audio = try fx.tone(200)
        let bytes = try FileIO.read(audio)
        let server = try StandInHTTPServer { req in
            guard req.path == "/v1/audio/transcriptions", req.header("Content-Type")?.hasPrefix("multipart/form-data; boundary=") == true else {
                return .text("no", status: 404)
            }
            // the uploaded file bytes must be in the body, and the fields
            let body = req.body
            let hasFile = body.count > bytes.count && (0...(body.count - bytes.count)).contains { body[$0..<($0 + bytes.count)].elementsEqual(bytes) }
            let text = String(decoding: body, as: UTF8.self)
            guard hasFile, text.contains("name=\"model\"\r\n\r\nwhisper-1\r\n"), text.contains("name=\"language\"\r\n\r\nen\r\n"),
                  text.contains("verbose_json") else { return .text("bad form", status: 400) }
            return .json(["segments": [["start": 0.0, "end": 1.5, "text": " Hello."], ["start": 2.0, "end": 3.0, "text": " Again."]]])
        }
        defer { server.stop() }
        let t = try EngineFactory(settings: ["engines.http.base_url": server.baseURL], environment: [:]).transcriber("http")
        #expect(try t.transcribe(audio, language: "en", cancel: .never) == [TimedCue(startMs: 0, endMs: 1500, text: "Hello."), TimedCue(startMs: 2000, endMs: 3000, text: "Again.")])
    }

    @Test("command separator writes a music-and-effects stem (real ffmpeg as the command)", .enabled(if: Tools.ffmpeg, "ffmpeg not installed"))
    func separator() throws {
        let f = EngineFactory(settings: ["engines.separate.command": "ffmpeg -nostdin -loglevel error -y -i {input} -af volume=0.5 -f flac {output}"], environment: [:])
        let sep = try #require(try f.separator())
        try sep.preflight()
        let out = fx.dir.path + "/stem.wav"
        try sep.separate(try fx.tone(500), to: out, cancel: .never)
        #expect(try WAVHeader.read(out) != nil)
        #expect(throws: OlleeyError.self) { _ = try CommandSeparator(template: try CommandTemplate("sep {input}", setting: "s")) }
    }

    // MARK: end to end

    @Test("dubs a 24 s video's 4 cues to Spanish: apertium, espeak-ng, fit, dub track, mix, assemble",
          .enabled(if: Tools.apertiumPairs && Tools.espeak && Tools.ffmpeg, "apertium, espeak-ng or ffmpeg not installed"))
    func endToEnd() throws {
        let started = Date()
        let subprocessBefore = SubprocessStats.totalNanos
        let video = try fx.file("video24.mp4") { p in
            try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=24",
                                      "-f", "lavfi", "-i", "sine=frequency=220:duration=24:sample_rate=48000",
                                      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", p])
        }
        let setup = Date()
        let subprocessSetup = SubprocessStats.totalNanos
        let wallSetup = SubprocessStats.wallNanos
        let countSetup = SubprocessStats.count
        let dir = TempDir()
        let ff = try FFmpeg()
        let info = try ff.probe(video, requireVideo: true)
        let source = [(1000, 4000, "Hello, and welcome to our channel."), (5000, 8500, "Today we are going to talk about the weather."),
                      (10_000, 12_000, "It is raining."), (15_000, 19_000, "Thank you very much for watching this video.")]
        let cues = source.enumerated().map { TextCue(id: "\($0.offset + 1)", text: $0.element.2) }
        let translator = try EngineFactory(settings: [:], environment: [:]).translator()
        let speaker = try EngineFactory(settings: [:], environment: [:]).speaker()
        try translator.preflight(sourceLang: "en", targetLangs: ["es"])
        try speaker.preflight(languages: ["es"])
        let translated = try TranslationCheck.translate(cues, with: translator, from: "en", to: "es")
        try translated.throwIfFailed(engine: translator.name, target: "es")
        var naturals: [(id: String, startMs: Int, endMs: Int, naturalMs: Int)] = []
        for (k, c) in translated.cues.enumerated() {
            let wav = dir.path + "/cue\(c.id).wav"
            try speaker.synthesize(c.text, language: "es", voice: nil, to: wav, cancel: .never)
            naturals.append((c.id, source[k].0, source[k].1, try ff.audioDurationMs(wav)))
        }
        let plan = FitPlanner.plan(FitPlanner.inputs(naturals, timelineEndMs: info.durationMs))
        var clips: [DubClip] = []
        for p in plan {
            let fitted = dir.path + "/fit\(p.id).wav"
            try ff.fitClip(dir.path + "/cue\(p.id).wav", to: fitted, factor: p.factor)
            #expect(abs(try ff.audioDurationMs(fitted) - p.fittedMs) < 60)
            clips.append(DubClip(id: p.id, startMs: naturals.first { $0.id == p.id }?.startMs ?? 0, path: fitted))
        }
        let dub = dir.path + "/dub.wav"
        try ff.buildDubTrack(clips: clips, durationSeconds: info.durationSeconds, output: dub)
        let mixed = dir.path + "/es.m4a"
        let original = dir.path + "/original.wav"
        try ff.extractAudio(from: video, to: original, target: .mix)
        try mixAAC(ff, dub: dub, background: original, speech: plan.enumerated().map { TimeRange(startMs: naturals[$0.offset].startMs, endMs: naturals[$0.offset].startMs + $0.element.fittedMs) },
                   durationMs: info.durationMs, output: mixed)
        let vtt = dir.path + "/es.vtt"
        try MediaFixtures.webVTT(zip(source, translated.cues).map { ($0.0, $0.1, $1.text) }).write(toFile: vtt, atomically: true, encoding: .utf8)
        let out = dir.path + "/video.es.mp4"
        try ff.assembleLanguage(video: video, output: LanguageOutput(language: "es", audio: mixed, subtitles: vtt), to: out)
        let done = Date()
        let sub = Double(SubprocessStats.totalNanos - subprocessSetup) / 1e9
        let subWall = Double(SubprocessStats.wallNanos - wallSetup) / 1e9
        let subCount = SubprocessStats.count - countSetup
        let result = try ff.probe(out)
        #expect(abs(result.durationMs - info.durationMs) < 100)
        #expect(result.audio?.language == "spa")
        #expect(try videoPacketsMD5(out) == videoPacketsMD5(video))
        let total = done.timeIntervalSince(setup)
        _ = subprocessBefore
        print("end-to-end dub of 4 cues (24 s video): \(String(format: "%.2f", total)) s wall (fixture \(String(format: "%.2f", setup.timeIntervalSince(started))) s); \(subCount) subprocesses, \(String(format: "%.2f", sub)) s summed, \(String(format: "%.2f", subWall)) s wall with one running (other tests running in parallel count too); factors \(plan.map { String(format: "%.2f", $0.factor) })")
    }
}
