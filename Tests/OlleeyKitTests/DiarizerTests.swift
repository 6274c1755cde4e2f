import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport
import OlleeyTestFakes

/// The diarizers (`engines.diarize command|http`): the http kind against a stand-in diarization
/// service on 127.0.0.1 (an ephemeral port, `StandInHTTPServer`), alone and in the voice stage.
@Suite("Diarizers: the http kind against a stand-in diarization service, the settings, the voice stage")
struct DiarizerTests {
    static let rttm = """
        SPEAKER audio 1 0.900 2.200 <NA> <NA> Ana <NA> <NA>
        SPEAKER audio 1 4.800 2.900 <NA> <NA> SPEAKER_01 <NA> <NA>

        """
    static let segments: JSON = .array([["start": 0.9, "end": 3.1, "speaker": "Ana"], ["start": 4.8, "end": 7.7, "speaker": "SPEAKER_01"],
                                        ["start": 9.8, "end": 12.2, "speaker": "Ana"]])

    /// A stand-in diarization service for tests: NOT a diarizer. It checks that the audio
    /// arrived (the multipart part `file`, or the whole body as audio/wav) and answers fixed
    /// turns, whatever the audio holds, in the form its path names; some paths are faults.
    static func standIn() throws -> StandInHTTPServer {
        try StandInHTTPServer { req in
            let type = req.header("Content-Type") ?? ""
            let multipart = type.hasPrefix("multipart/form-data; boundary=")
                && req.text.contains("Content-Disposition: form-data; name=\"file\"; filename=\"audio.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF")
            let whole = type == "audio/wav" && req.body.starts(with: Array("RIFF".utf8))
            guard req.method == "POST", multipart || whole else { return .text("expected a WAV file", status: 400) }
            if req.header("Authorization") == "Bearer wrong" { return .json(["detail": "invalid token"], status: 401) }
            switch req.path {
            case "/rttm": return .text(rttm)
            case "/json": return .json(["segments": segments])
            case "/array": return .json(segments)
            case "/raw": return whole ? .text(rttm) : .text("send audio/wav", status: 415)
            case "/down": return .json(["detail": "the model is not loaded"], status: 500)
            case "/html": return .text("<html><body>It works!</body></html>")
            case "/empty": return .text("")
            case "/partial": return .json(["segments": [["start": 1.0, "speaker": "Ana"]]])
            case "/slow": return .init(body: Array(rttm.utf8), delay: 3)
            default: return .text("no such route", status: 404)
            }
        }
    }

    /// A 16 kHz mono WAV of silence (what the voice stage sends).
    static func wav(_ t: TempDir) throws -> String {
        let path = t.path + "/speech16k.wav"
        try FakeMedia.writeSilence(path, ms: 500, format: .speech)
        return path
    }

    func diarizer(_ server: StandInHTTPServer, _ path: String, _ extra: [String: String] = [:]) throws -> any Diarizer {
        let settings = ["engines.diarize": "http", "engines.diarize.url": server.baseURL + path, "engines.diarize.retries": "0"].merging(extra) { $1 }
        let d = try #require(try EngineFactory(settings: settings, environment: [:]).diarizer())
        try d.preflight()
        return d
    }

    /// The error `body` throws (nil: none).
    func failure(_ body: () throws -> Void) -> OlleeyError? {
        do { try body(); return nil } catch let e as OlleeyError { return e } catch { return OlleeyError(.failure, "\(error)") }
    }

    @Test("http: the audio goes as multipart 'file' (or the whole audio/wav body) with the diarizer's own key; RTTM, JSON segments and a bare array are read; cues get the speaker they overlap most")
    func answers() throws {
        let server = try DiarizerTests.standIn()
        defer { server.stop() }
        let t = TempDir()
        let wav = try DiarizerTests.wav(t)
        let cues = [(1000, 3000), (5000, 7500), (10_000, 12_000)]

        let rttm = try diarizer(server, "/rttm", ["engines.diarize.api_key": "dk", "engines.http.api_key": "not-for-the-diarizer"])
        #expect(rttm.name == "http" && rttm.fingerprint.hasPrefix("http \(server.baseURL)/rttm"))
        let turns = try rttm.diarize(wav, cancel: .never)
        #expect(turns == [Diarization.Turn(startMs: 900, endMs: 3100, speaker: "Ana"), Diarization.Turn(startMs: 4800, endMs: 7700, speaker: "SPEAKER_01")])
        #expect(Diarization.assign(cues, turns: turns) == ["Ana", "SPEAKER_01", nil])
        let sent = try #require(server.requests.last)
        #expect(sent.path == "/rttm" && sent.header("Authorization") == "Bearer dk")
        #expect(sent.header("Content-Type")?.hasPrefix("multipart/form-data; boundary=") == true)
        let size = try FileIO.read(wav).count
        #expect(sent.body.count > size)  // the whole file, in its part

        for path in ["/json", "/array"] {
            let d = try diarizer(server, path)
            #expect(Diarization.assign(cues, turns: try d.diarize(wav, cancel: .never)) == ["Ana", "SPEAKER_01", "Ana"], "\(path)")
            #expect(server.requests.last?.header("Authorization") == nil, "the http engines' key is never sent to the diarizer")
        }
        // the whole body as audio/wav
        let raw = try diarizer(server, "/raw", ["engines.diarize.upload": "wav"])
        #expect(try raw.diarize(wav, cancel: .never).count == 2)
        let audio = try FileIO.read(wav)
        #expect(server.requests.last?.header("Content-Type") == "audio/wav" && server.requests.last?.body == audio)
    }

    @Test("http: a failing status, a timeout, an empty or unreadable answer and a refused key are clear errors naming the URL")
    func errors() throws {
        let server = try DiarizerTests.standIn()
        defer { server.stop() }
        let t = TempDir()
        let wav = try DiarizerTests.wav(t)
        func error(_ path: String, _ extra: [String: String] = [:]) throws -> OlleeyError {
            let d = try diarizer(server, path, extra)
            return try #require(failure { _ = try d.diarize(wav, cancel: .never) }, "\(path) should fail")
        }
        let url = { (p: String) in server.baseURL + p }

        let down = try error("/down")
        #expect(down.message.contains(url("/down")) && down.message.contains("HTTP 500") && down.message.contains("the model is not loaded"), "\(down.message)")
        let html = try error("/html")
        #expect(html.code == .invalid && html.message.contains(url("/html")) && html.message.contains("neither RTTM"), "\(html.message)")
        let empty = try error("/empty")
        #expect(empty.code == .invalid && empty.message.contains(url("/empty")) && empty.message.contains("empty body"), "\(empty.message)")
        let partial = try error("/partial")
        #expect(partial.code == .invalid && partial.message.contains(url("/partial")) && partial.message.contains("without start and end"), "\(partial.message)")
        let missing = try error("/nowhere")
        #expect(missing.code == .config && missing.message.contains("HTTP 404") && (missing.hint ?? "").contains("engines.diarize.url"), "\(missing)")
        let refused = try error("/rttm", ["engines.diarize.api_key": "wrong"])
        #expect(refused.code == .config && refused.message.contains("invalid token") && refused.hint == "set engines.diarize.api_key", "\(refused)")
        let slow = try error("/slow", ["engines.diarize.timeout": "1"])
        #expect(slow.message.contains(url("/slow")) && slow.message.contains("timed out"), "\(slow.message)")
        // nobody listening
        let closed = try StandInHTTPServer { _ in .text("") }
        let gone = closed.baseURL + "/diarize"
        closed.stop()
        let d = try #require(try EngineFactory(settings: ["engines.diarize": "http", "engines.diarize.url": gone, "engines.diarize.retries": "0"], environment: [:]).diarizer())
        let refusedConnection = try #require(failure { _ = try d.diarize(wav, cancel: .never) })
        #expect(refusedConnection.message.contains(gone), "\(refusedConnection.message)")
    }

    @Test("settings: http needs engines.diarize.url (an http or https URL); engines.diarize.command alone is the command kind; none turns it off; unknown kinds and uploads are configuration errors")
    func settings() throws {
        func make(_ s: [String: String]) throws -> (any Diarizer)? { try EngineFactory(settings: s, environment: [:]).diarizer() }
        #expect(try make([:]) == nil)
        #expect(try make(["engines.diarize.command": "my-diarizer {input} {output}"])?.name == "command")
        #expect(try make(["engines.diarize": "none", "engines.diarize.command": "my-diarizer {input} {output}"]) == nil)
        let noURL = try #require(failure { _ = try make(["engines.diarize": "http"]) })
        #expect(noURL.code == .config && noURL.message.contains("engines.diarize.url"))
        let ftp = try #require(failure { _ = try make(["engines.diarize": "http", "engines.diarize.url": "ftp://h/x"])?.preflight() })
        #expect(ftp.code == .config && ftp.message.contains("http:// or https://"))
        let upload = try #require(failure { _ = try make(["engines.diarize": "http", "engines.diarize.url": "http://h/x", "engines.diarize.upload": "zip"]) })
        #expect(upload.code == .config && upload.message.contains("multipart or wav"))
        let unknown = try #require(failure { _ = try make(["engines.diarize": "htp"]) })
        #expect(unknown.code == .config && (unknown.hint ?? "").contains("http"))
        let noOutput = try #require(failure { _ = try make(["engines.diarize.command": "my-diarizer {input}"]) })
        #expect(noOutput.code == .config && noOutput.message.contains("{output}"))
        // the command kind reads JSON segments too (a real shell writes them: a stand-in diarizer, fixed turns)
        let t = TempDir()
        let sh = try #require(try make(["engines.diarize.command": #"sh -c 'echo "[{\"start\": 0.5, \"end\": 1.25, \"speaker\": \"Ana\"}]" > "$2"' stand-in-diarizer {input} {output}"#]))
        try sh.preflight()
        #expect(try sh.diarize(try DiarizerTests.wav(t), cancel: .never) == [Diarization.Turn(startMs: 500, endMs: 1250, speaker: "Ana")])
        // the turns round-trip through the cache's lines
        let turns = try Diarization.parseAnswer(#"{"diarization":[{"start":0.25,"end":1.5,"label":"Ana  María"}]}"#, what: "test")
        #expect(turns == [Diarization.Turn(startMs: 250, endMs: 1500, speaker: "Ana María")])
        #expect(try Diarization.parse(Diarization.serialize(turns)) == turns)
        // config keys: the kind, the URL (a URL only), the upload form
        #expect(ConfigKeys.find("engines.diarize.url")?.typeName == "url")
        #expect(throws: OlleeyError.self) { try ConfigKeys.find("engines.diarize.url")?.validate("not a url") }
        #expect(try ConfigKeys.find("engines.diarize")?.validate("http") == "http")
    }

    @Test("the voice stage: unnamed cues take the speakers of the http diarizer's turns (RTTM, JSON), asked once per video; a failing service fails the voice stage alone, naming the URL")
    func voiceStage() throws {
        let server = try DiarizerTests.standIn()
        defer { server.stop() }
        for (path, third) in [("/rttm", nil), ("/json", "Ana")] as [(String, String?)] {
            let f = try FakeMediaJob(languages: ["es"])
            f.diarizer = try diarizer(server, path)
            try f.prepare()
            let before = server.requests.count
            try f.render("es")
            #expect(server.requests.count == before + 1)
            let fit = try #require(try JobStore(f.db).language(f.job.id, "es")?.fitReport)
            let who = (fit["cues"]?.arrayValue ?? []).map { $0["speaker"]?.stringValue }
            #expect(who.count == 3 && who[0] == "Ana" && who[1]?.hasPrefix("SPEAKER_01 of ") == true && who[2] == third, "\(path): \(who)")
            // a second render: the turns come from the cache
            try f.render("es")
            #expect(server.requests.count == before + 1, "\(path): asked again")
        }
        // a service answering 500: the voice stage fails, with the URL and the service's words
        let f = try FakeMediaJob(languages: ["es"])
        f.diarizer = try diarizer(server, "/down")
        try f.prepare()
        #expect(throws: (any Error).self) { try f.render("es") }
        let runs = try f.runs()
        let last = try #require(runs.last)
        #expect(last.stage == "voice" && last.state == "failed", "\(runs)")
        #expect(last.error?.contains(server.baseURL + "/down") == true && last.error?.contains("the model is not loaded") == true, "\(last.error ?? "")")
        #expect(runs.filter { $0.stage == "translate" }.allSatisfy { $0.state == "done" })
    }
}
