import Foundation
import Testing

/// A deterministic stand-in for an OpenAI-compatible server (`Fixtures/openai_standin.py`,
/// python3) on 127.0.0.1, one process per test. It is not a model: translations are
/// "«LANG» " + the source text, speech is a sine tone as long as the text, transcription is three
/// fixed segments. It logs every request to `requests.jsonl` and reads per-language faults
/// from `faults.json` in its state directory, so a test can break one language and fix it again.
final class StandInOpenAIServer {
    static let script: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Fixtures/openai_standin.py").path
    }()

    let state: String
    let port: Int
    private let process: Process
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the server; with `key`, it refuses any other bearer key with 401.
    init(state: String, key: String?) throws {
        self.state = state
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", StandInOpenAIServer.script, state] + (key.map { ["--key", $0] } ?? [])
        let out = Pipe()
        p.standardOutput = out
        _ = FileManager.default.createFile(atPath: state + "/stderr.log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: state + "/stderr.log")
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // the first line of stdout is the port
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line += d
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            p.terminate()
            p.waitUntilExit()
            let err = (try? String(contentsOfFile: state + "/stderr.log", encoding: .utf8)) ?? ""
            throw Failure("the stand-in server did not start: \(err)")
        }
        self.port = port
        self.process = p
    }

    /// SIGKILL, not SIGTERM: a process started from a test thread inherits that thread's
    /// signal mask, where SIGTERM may be blocked.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Per target language: "http500", "drop2" or "garbage_audio"; empty: no faults.
    func setFaults(_ faults: [String: String]) throws {
        let d = try JSONSerialization.data(withJSONObject: faults)
        try d.write(to: URL(fileURLWithPath: state + "/faults.json"), options: .atomic)
    }

    /// Every request so far, in arrival order.
    var requests: [[String: Any]] {
        ((try? String(contentsOfFile: state + "/requests.jsonl", encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { Tools.json(String($0)) as? [String: Any] }
    }

    func requests(_ kind: String, target: String? = nil) -> [[String: Any]] {
        requests.filter { r in
            r["kind"] as? String == kind && (target == nil || (r["target"] as? String ?? (r["input"] as? String).flatMap(StandInOpenAIServer.lang)) == target)
        }
    }

    /// "es" of "[es] text".
    static func lang(_ text: String) -> String? {
        guard text.hasPrefix("«"), let end = text.firstIndex(of: "»") else { return nil }
        return String(text[text.index(after: text.startIndex)..<end])
    }
}

@Suite("End to end: whole jobs through the OpenAI-compatible http engines (deterministic stand-in server on 127.0.0.1)",
       .serialized,
       .enabled(if: Binary.exists && Tools.has("ffmpeg") && Tools.has("ffprobe") && Tools.has("python3"),
                "needs the release binary, ffmpeg and python3 (scripts/bootstrap)"))
struct HTTPEngineJobTests {
    static let sentences = ["Welcome to our channel.", "The river is cold & <clean>.", "Thank you for watching."]  // plain text from the engines

    /// A workspace with an 8-second sample video (its subtitles are not used: the stand-in transcribes).
    func workspace() throws -> String {
        let dir = Binary.tempDir()
        try Tools.sample(in: dir)
        try FileManager.default.removeItem(atPath: dir + "/talk.en.vtt")
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        return dir
    }

    func config(_ dir: String, _ pairs: [(String, String)]) throws {
        for (k, v) in pairs {
            let r = try Binary.run(["config", "set", k, v], cwd: dir)
            #expect(r.exit == 0, "config set \(k): \(r.stderr)")
        }
    }

    /// `job create` WITHOUT --subtitles, so the source track comes from the http transcriber.
    func create(_ dir: String, langs: String, extra: [String] = [], env: [String: String] = [:]) throws -> String {
        let r = try Binary.run(["job", "create", "talk.mp4", "--source-lang", "en", "--lang", langs, "--json"] + extra, cwd: dir, env: env)
        guard r.exit == 0, let d = Tools.json(r.stdout) as? [String: Any], let id = d["id"] as? String else {
            throw Failure("job create failed (\(r.exit)): \(r.stderr)")
        }
        return id
    }

    func show(_ dir: String, _ id: String) throws -> [String: Any] {
        (Tools.json(try Binary.run(["job", "show", id, "--json"], cwd: dir).stdout) as? [String: Any]) ?? [:]
    }

    func language(_ job: [String: Any], _ lang: String) -> [String: Any] {
        (job["languages"] as? [[String: Any]] ?? []).first { $0["language"] as? String == lang } ?? [:]
    }

    func probe(_ path: String) throws -> [String] {
        try Tools.sh("ffprobe -v error -show_entries stream=codec_type:stream_tags=language -of csv=p=0 '\(path)'", cwd: "/").1
            .split(separator: "\n").map(String.init)
    }

    func videoMD5(_ path: String) throws -> String {
        try Tools.sh("ffmpeg -v error -i '\(path)' -map 0:v -c copy -f md5 -", cwd: "/").1
    }

    @Test("a whole job (transcribe, translate, speak) through the http engines, base URL and key from config, against a deterministic stand-in server")
    func httpEnginesWholeJobWithStandInServer() throws {
        let dir = try workspace()
        let key = "sk-standin-config-0123"
        let server = try StandInOpenAIServer(state: dir + "/standin", key: key)
        defer { server.stop(); try? FileManager.default.removeItem(atPath: dir) }
        try config(dir, [("engines.transcribe", "http"), ("engines.translate", "http"), ("engines.speak", "http"),
                         ("engines.http.base_url", server.baseURL), ("engines.http.api_key", key),
                         ("engines.http.translate_model", "standin-mt-1"), ("engines.http.speech_model", "standin-tts-1"),
                         ("engines.http.transcribe_model", "standin-asr-1")])
        let id = try create(dir, langs: "es,ca")
        let run = try Binary.run(["job", "run", id], cwd: dir)
        #expect(run.exit == 0, "\(run.stderr)")

        let job = try show(dir, id)
        #expect(job["status"] as? String == "completed", "\(job)")
        for lang in ["es", "ca"] {
            let l = language(job, lang)
            #expect(l["error"] is NSNull, "\(lang): \(l["error"] ?? "")")
            #expect((l["failed_cues"] as? [Any])?.isEmpty == true)
        }

        // outputs: master with the video copied and spa/cat dubs; per-language MP4, VTT, SRT
        let out = Tools.json(try Binary.run(["job", "outputs", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        let master = try #require(out["master"] as? String)
        #expect(try probe(master) == ["video,und", "audio,eng", "audio,spa", "audio,cat", "subtitle,eng", "subtitle,spa", "subtitle,cat"])
        #expect(try videoMD5(dir + "/talk.mp4") == videoMD5(master), "the video stream must be copied, not re-encoded")
        let perLang = out["languages"] as? [String: Any] ?? [:]
        for (lang, tag) in [("es", "spa"), ("ca", "cat")] {
            let files = try #require(perLang[lang] as? [String: String], "outputs of \(lang)")
            #expect(try probe(files["mp4"] ?? "") == ["video,und", "audio,\(tag)", "subtitle,\(tag)"])
            #expect(FileManager.default.fileExists(atPath: files["audio"] ?? ""))
            // the transcript's timings and the stand-in's translations, cue by cue
            let vtt = try String(contentsOfFile: files["vtt"] ?? "", encoding: .utf8)
            #expect(vtt.contains("00:00:00.500 --> 00:00:02.500\n«\(lang)» Welcome to our channel."))
            // plain text from the transcriber and the translator is escaped into cue text
            #expect(vtt.contains("00:00:03.000 --> 00:00:05.000\n«\(lang)» The river is cold &amp; &lt;clean&gt;."))
            #expect(vtt.contains("00:00:05.500 --> 00:00:07.500\n«\(lang)» Thank you for watching."))
            #expect(vtt.components(separatedBy: "-->").count == 4)
            #expect(try String(contentsOfFile: files["srt"] ?? "", encoding: .utf8).contains("«\(lang)» The river is cold & <clean>."))
        }

        // what the stand-in received: the bearer key on every request, and exactly the expected calls
        let all = server.requests
        #expect(all.count == 9, "1 transcription + 2 chat + 6 speech: \(all.map { $0["kind"] ?? "" })")
        #expect(all.allSatisfy { $0["authorization"] as? String == "Bearer \(key)" })
        #expect(all.allSatisfy { ["transcription", "chat", "speech"].contains($0["kind"] as? String ?? "") })
        let asr = server.requests("transcription")
        #expect(asr.count == 1)
        #expect(asr.first?["model"] as? String == "standin-asr-1")
        #expect(asr.first?["language"] as? String == "en")
        #expect(asr.first?["response_format"] as? String == "verbose_json")
        #expect(asr.first?["file_is_wav"] as? Bool == true)
        #expect((asr.first?["file_bytes"] as? Int ?? 0) > 100_000, "about 8 s of audio")
        let chat = server.requests("chat")
        #expect(chat.compactMap { $0["target"] as? String }.sorted() == ["ca", "es"], "one chat request per language (batch of 3 cues)")
        for c in chat {
            #expect(c["ids"] as? [String] == ["1", "2", "3"])
            #expect(c["model"] as? String == "standin-mt-1")
            #expect(c["response_format"] as? String == "json_object")
        }
        let speech = server.requests("speech")
        #expect(speech.count == 6, "3 cues x 2 languages")
        let spoken = Set(speech.compactMap { $0["input"] as? String })
        #expect(spoken == Set(["es", "ca"].flatMap { l in HTTPEngineJobTests.sentences.map { "«\(l)» \($0)" } }))
        #expect(speech.allSatisfy { $0["model"] as? String == "standin-tts-1" && $0["voice"] as? String == "alloy" && $0["response_format"] as? String == "wav" })

        // a finished job run again makes no engine call
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        #expect(server.requests.count == 9)
    }

    @Test("base URL and key from OLLEEY_HTTP_BASE_URL / OLLEEY_HTTP_API_KEY, engines chosen per job, against a deterministic stand-in server; the key is never stored")
    func httpEnginesFromEnvironmentWithStandInServer() throws {
        let dir = try workspace()
        let key = "sk-standin-env-4567"
        let server = try StandInOpenAIServer(state: dir + "/standin", key: key)
        defer { server.stop(); try? FileManager.default.removeItem(atPath: dir) }
        let env = ["OLLEEY_HTTP_BASE_URL": server.baseURL, "OLLEEY_HTTP_API_KEY": key]
        // without the environment the http engines have no server: refused before any work
        let engines = ["--engine", "transcribe=http", "--engine", "translate=http", "--engine", "speak=http"]
        let refused = try Binary.run(["job", "create", "talk.mp4", "--source-lang", "en", "--lang", "es"] + engines, cwd: dir,
                                     env: ["OLLEEY_HTTP_BASE_URL": "", "OPENAI_BASE_URL": ""])
        #expect(refused.exit == 78, "\(refused.exit) \(refused.stderr)")
        #expect(refused.stderr.contains("engines.http.base_url"))

        let id = try create(dir, langs: "es", extra: engines, env: env)
        let run = try Binary.run(["job", "run", id], cwd: dir, env: env)
        #expect(run.exit == 0, "\(run.stderr)")
        let job = try show(dir, id)
        #expect(job["status"] as? String == "completed", "\(job)")
        let mp4 = try #require((language(job, "es")["outputs"] as? [String: Any])?["mp4"] as? String)
        #expect(try probe(mp4) == ["video,und", "audio,spa", "subtitle,spa"])
        let all = server.requests
        #expect(all.map { $0["kind"] as? String ?? "" } == ["transcription", "chat", "speech", "speech", "speech"])
        #expect(all.allSatisfy { $0["authorization"] as? String == "Bearer \(key)" })
        #expect(all.map { $0["model"] as? String ?? "" } == ["whisper-1", "gpt-4o-mini", "tts-1", "tts-1", "tts-1"], "the default models")
        // the key came from the environment: nothing in the workspace holds it
        let (rc, found) = try Tools.sh("grep -r -l -a -F '\(key)' .olleey", cwd: dir)
        #expect(rc == 1 && found.isEmpty, "the API key was written to: \(found)")
    }

    @Test("http engine failures (HTTP 500, a dropped cue, audio no decoder reads) fail one language with a stage and a plain reason, the other completes, retry resumes (deterministic stand-in server)")
    func httpEngineFailuresFailOneLanguageWithStandInServer() throws {
        let dir = try workspace()
        let key = "sk-standin-faults-89"
        let server = try StandInOpenAIServer(state: dir + "/standin", key: key)
        defer { server.stop(); try? FileManager.default.removeItem(atPath: dir) }
        try config(dir, [("engines.transcribe", "http"), ("engines.translate", "http"), ("engines.speak", "http"),
                         ("engines.http.base_url", server.baseURL), ("engines.http.api_key", key)])
        let id = try create(dir, langs: "es,ca")

        /// Runs the job, expecting Catalan to fail at `stage`; returns its error.
        func runExpectingCatalanFailure(at stage: String, _ comment: Comment) throws -> [String: Any] {
            let r = try Binary.run(["job", "run", id], cwd: dir)
            #expect(r.exit == 2, "\(comment): \(r.stderr)")
            let job = try show(dir, id)
            #expect(job["status"] as? String == "failed", comment)
            let es = language(job, "es"), ca = language(job, "ca")
            #expect(es["status"] as? String == "draft", "Spanish keeps going: \(es)")
            #expect(es["error"] is NSNull)
            #expect(ca["status"] as? String == "failed", comment)
            #expect(ca["error_stage"] as? String == stage, comment)
            let human = try Binary.run(["job", "show", id], cwd: dir).stdout
            #expect(human.contains("failed at \(stage)") && human.contains("olleey job retry"), comment)
            return ca
        }

        // 1. the server answers HTTP 500 (Retry-After: 0) for Catalan: retried twice (engines.http.retries defaults to 2), then failed
        try server.setFaults(["ca": "http500"])
        var ca = try runExpectingCatalanFailure(at: "translate", "HTTP 500")
        var error = ca["error"] as? String ?? ""
        #expect(error.contains("HTTP 500") && error.contains("the ca model is overloaded"), "\(error)")
        #expect(server.requests("chat", target: "ca").count == 3, "one request and two retries")
        // Spanish went through to the end meanwhile
        let esMP4 = try #require((language(try show(dir, id), "es")["outputs"] as? [String: Any])?["mp4"] as? String)
        #expect(try probe(esMP4) == ["video,und", "audio,spa", "subtitle,spa"])
        #expect(server.requests("speech", target: "es").count == 3)
        #expect(server.requests("speech", target: "ca").isEmpty)

        // 2. the server leaves cue 2 out of its answers, even when it is asked alone: failed, naming cue 2
        try server.setFaults(["ca": "drop2"])
        var before = server.requests("chat", target: "ca").count
        #expect(try Binary.run(["job", "retry", id], cwd: dir).exit == 0)
        ca = try runExpectingCatalanFailure(at: "translate", "dropped cue")
        error = ca["error"] as? String ?? ""
        #expect(error.contains("cue(s) (2)") && error.contains("answer had 0 cues"), "\(error)")
        #expect(ca["failed_cues"] as? [String] == ["2"])
        #expect(server.requests("chat", target: "ca").dropFirst(before).compactMap { $0["ids"] as? [String] } == [["1", "2", "3"], ["2"]],
                "the batch, then the missing cue asked alone")

        // 3. the translation is fine, the speech server answers bytes no decoder reads: failed at dub
        try server.setFaults(["ca": "garbage_audio"])
        before = server.requests("chat", target: "ca").count
        #expect(try Binary.run(["job", "retry", id], cwd: dir).exit == 0)
        ca = try runExpectingCatalanFailure(at: "dub", "invalid audio")
        error = ca["error"] as? String ?? ""
        #expect(error.contains("speech server") && error.contains("cannot read"), "\(error)")
        #expect(server.requests("chat", target: "ca").count == before + 1)

        // 4. the server is fixed: retry completes the job; Spanish was never redone
        try server.setFaults([:])
        before = server.requests("chat", target: "ca").count
        #expect(try Binary.run(["job", "retry", id], cwd: dir).exit == 0)
        let r = try Binary.run(["job", "run", id], cwd: dir)
        #expect(r.exit == 0, "\(r.stderr)")
        let job = try show(dir, id)
        #expect(job["status"] as? String == "completed", "\(job)")
        #expect(language(job, "ca")["error"] is NSNull)
        #expect(server.requests("chat", target: "ca").count == before, "the stored Catalan translation is reused")
        #expect(server.requests("chat", target: "es").count == 1)
        #expect(server.requests("speech", target: "es").count == 3)
        #expect(server.requests("transcription").count == 1)
        #expect(server.requests.allSatisfy { $0["authorization"] as? String == "Bearer \(key)" })
        let out = Tools.json(try Binary.run(["job", "outputs", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        let master = try #require(out["master"] as? String)
        #expect(try probe(master) == ["video,und", "audio,eng", "audio,spa", "audio,cat", "subtitle,eng", "subtitle,spa", "subtitle,cat"])
        let caVTT = try String(contentsOfFile: ((out["languages"] as? [String: Any])?["ca"] as? [String: String])?["vtt"] ?? "", encoding: .utf8)
        #expect(caVTT.contains("«ca» The river is cold &amp; &lt;clean&gt;."))
    }
}
