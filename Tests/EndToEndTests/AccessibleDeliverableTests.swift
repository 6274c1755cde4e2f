import Foundation
import Testing
import OlleeyTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 17, end to end: one accessible deliverable (`--captions --describe`) with the `http`
/// describer against the deterministic OpenAI-compatible stand-in (`Fixtures/openai_standin.py`:
/// its "descriptions" say how many frames it got, not what they show). The describer fails
/// first (HTTP 500): the job is `TTS_FAILED` on the second spec, retried through its retry
/// action, then completes; its AD and captions deliverables are in `job outputs`, in the v1 job's
/// `outputs` and in the signed downloads; the master carries the captions and the described
/// audio as tagged soft tracks (not the extended-AD video), and keeps the tags when an edit
/// updates it.
@Suite("End to end: an accessible deliverable over HTTP", .serialized,
       .enabled(if: Tools.media, "needs the release binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct AccessibleDeliverableTests {
    func streams(_ path: String) throws -> [[String: Any]] {
        let (_, out) = try Tools.sh("ffprobe -v error -show_entries stream=index,codec_type:stream_tags=language,title,handler_name:stream_disposition=default,visual_impaired,descriptions,captions,hearing_impaired -of json '\(path)'", cwd: "/")
        return ((Tools.json(out) as? [String: Any])?["streams"] as? [[String: Any]]) ?? []
    }

    func flag(_ s: [String: Any], _ name: String) -> Int { (s["disposition"] as? [String: Any])?[name] as? Int ?? -1 }
    func tag(_ s: [String: Any], _ name: String) -> String { (s["tags"] as? [String: Any])?[name] as? String ?? "" }

    @Test("http describer (stand-in), TTS_FAILED retried over the v1 action, AD and captions deliverables in outputs and downloads, tagged soft tracks in the master that survive an edit")
    func accessibleDeliverable() throws {
        let ad = AudioDescriptionTests()
        let dir = try ad.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let standIn = try StandInOpenAIServer(state: dir + "/standin", key: nil)
        defer { standIn.stop() }
        try standIn.setFaults(["describe": "http500"])
        for (k, v) in [("engines.describe", "http"), ("engines.describe.base_url", standIn.baseURL), ("engines.describe.model", "vision-standin"),
                       ("engines.http.retries", "0"), ("job.max_attempts", "1")] {
            let r = try Binary.run(["config", "set", k, v], cwd: dir)
            #expect(r.exit == 0, "config set \(k): \(r.stderr)")
        }
        #expect(try Binary.run(["user", "create", "--email", "pm@example.com", "--role", "ADMIN", "--password-stdin"], cwd: dir,
                               stdin: "a long passphrase\n").exit == 0)
        let id = try ad.create(dir, ["--captions"])
        // the describer server fails: the language fails at describe, its dub and captions stay
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 2)
        let failed = ad.language(try ad.show(dir, id))
        #expect(failed["error_stage"] as? String == "describe" && (failed["error"] as? String ?? "").contains("HTTP 500"), "\(failed["error"] ?? "")")
        #expect(FileManager.default.fileExists(atPath: (failed["outputs"] as? [String: Any])?["captions_vtt"] as? String ?? "/none"))

        let (server, port) = try Binary.serve(in: dir, ["--workers", "0"])
        defer { Binary.stop(server) }
        let login = try Reply.request(port: port, "POST", "/auth/login", body: Array(#"{"email":"pm@example.com","password":"a long passphrase"}"#.utf8))
        let token = try #require(login.json["access_token"] as? String, "login: \(login.status) \(login.text)")
        func call(_ method: String, _ path: String) throws -> Reply {
            try Reply.request(port: port, method, path, headers: [("Authorization", "Bearer \(token)")])
        }

        // the second spec: a failed audio description is TTS_FAILED, and its retry action runs it again
        #expect(try call("GET", "/api/v1/jobs/\(id)").json["status"] as? String == "TTS_FAILED")
        try standIn.setFaults([:])
        let retried = try call("POST", "/api/v1/jobs/\(id)/actions/retry")
        #expect(retried.status == 200 && retried.json["status"] as? String == "QUEUED", "retry: \(retried.status) \(retried.text)")
        let run = try Binary.run(["job", "run", id], cwd: dir)
        #expect(run.exit == 0, "\(run.stderr)")
        #expect(try call("GET", "/api/v1/jobs/\(id)").json["status"] as? String == "COMPLETED")

        // the http describer got the gap's three frames as PNG image parts, one request per gap
        let asked = standIn.requests("describe")
        #expect(asked.count >= 2 && asked.allSatisfy { $0["pngs"] as? Int == 3 && $0["model"] as? String == "vision-standin" }, "\(asked)")
        let script = Tools.json(try Binary.run(["vtt", "show", id, "--lang", "en", "--kind", "descriptions", "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        let cues = script["cues"] as? [[String: Any]] ?? []
        #expect(!cues.isEmpty && cues.allSatisfy { $0["author"] as? String == "olleey/describe-http" && ($0["text"] as? String ?? "").contains("Stand-in description of 3 frames") },
                "\(cues)")

        // the deliverables: in job outputs, in the v1 job's outputs, in the signed downloads (same bytes)
        let deliverables = ["captions_vtt", "captions_srt", "descriptions_vtt", "descriptions_srt", "described_audio", "described_mp4", "extended_mp4", "extended_vtt"]
        let cli = (Tools.json(try Binary.run(["job", "outputs", id, "--json"], cwd: dir).stdout) as? [String: Any]) ?? [:]
        let es = ((cli["languages"] as? [String: Any])?["es"] as? [String: Any]) ?? [:]
        for k in deliverables { #expect(FileManager.default.fileExists(atPath: es[k] as? String ?? "/none"), "job outputs: no \(k) in \(es.keys.sorted())") }
        let v1 = try call("GET", "/api/v1/jobs/\(id)")
        let v1es = ((v1.json["outputs"] as? [String: Any])?["es"] as? [String: Any]) ?? [:]
        for k in deliverables { #expect(v1es[k] is String, "v1 outputs: no \(k) in \(v1es.keys.sorted())") }
        let downloads = try call("GET", "/api/v1/jobs/\(id)/downloads")
        let items = downloads.json["downloads"] as? [[String: Any]] ?? []
        for k in deliverables {
            let item = items.first { $0["language"] as? String == "es" && $0["kind"] as? String == k }
            guard let url = item?["url"] as? String, let u = URLComponents(string: url) else { Issue.record("no download for es \(k)"); continue }
            let got = try Reply.request(port: port, "GET", u.percentEncodedPath + (u.percentEncodedQuery.map { "?" + $0 } ?? ""))
            let local = FileManager.default.contents(atPath: es[k] as? String ?? "/none").map(Array.init) ?? []
            #expect(got.status == 200 && got.body == local && !local.isEmpty, "download of es \(k): \(got.status), \(got.body.count) bytes against \(local.count)")
        }

        // the master: original and dub, the described audio (tagged), then subtitles and captions (tagged); no extended video
        let master = try #require(cli["master"] as? String)
        let s = try streams(master)
        let audio = s.filter { $0["codec_type"] as? String == "audio" }, subs = s.filter { $0["codec_type"] as? String == "subtitle" }
        #expect(s.filter { $0["codec_type"] as? String == "video" }.count == 1)
        #expect(audio.map { tag($0, "language") } == ["eng", "spa", "spa"], "\(audio)")
        #expect(audio.map { flag($0, "visual_impaired") } == [0, 0, 1] && flag(audio[2], "descriptions") == 1, "\(audio)")
        #expect(tag(audio[2], "handler_name") == "Spanish (audio description)")
        #expect(subs.map { tag($0, "language") } == ["eng", "spa", "spa"], "\(subs)")
        #expect(subs.map { flag($0, "hearing_impaired") } == [0, 0, 1] && flag(subs[2], "captions") == 1, "\(subs)")
        #expect(tag(subs[2], "handler_name") == "Spanish (captions)")
        let masterSeconds = try ad.seconds(master), source = try ad.seconds(dir + "/talk.mp4")
        #expect(abs(masterSeconds - source) < 0.1, "the master keeps the source's time line: \(masterSeconds) s against \(source) s")

        // an edit of the Spanish descriptions: the master is updated in place (the same file, only the
        // changed samples written) and keeps its tags; its described track is the new described audio
        func inode(_ p: String) -> UInt64 { var st = stat(); return stat(p, &st) == 0 ? UInt64(st.st_ino) : 0 }
        let before = inode(master)
        let edit = try Binary.run(["vtt", "edit", id, "--lang", "es", "--kind", "descriptions", "--cue", "1", "--plain", "--text", "Barras de colores."], cwd: dir)
        #expect(edit.exit == 0, "\(edit.stderr)")
        let again = try Binary.run(["job", "run", id, "--verbose"], cwd: dir)
        #expect(again.exit == 0, "\(again.stderr)")
        let after = try streams(master)
        #expect(after.filter { $0["codec_type"] as? String == "audio" }.map { flag($0, "visual_impaired") } == [0, 0, 1], "\(after)")
        #expect(after.filter { $0["codec_type"] as? String == "subtitle" }.map { flag($0, "hearing_impaired") } == [0, 0, 1], "\(after)")
        let outs = (ad.language(try ad.show(dir, id))["outputs"] as? [String: Any]) ?? [:]
        #expect(try String(contentsOfFile: outs["descriptions_vtt"] as? String ?? "", encoding: .utf8).contains("Barras de colores."))
        #expect(inode(master) == before && before != 0, "the master was muxed anew, not updated in place: \(again.stderr)")
        let packets = { (p: String, stream: String) in try Tools.sh("ffmpeg -v error -i '\(p)' -map \(stream) -c copy -f md5 -", cwd: "/").1 }
        #expect(try packets(master, "0:a:2") == packets(outs["described_audio"] as? String ?? "", "0:a:0"))
    }
}
