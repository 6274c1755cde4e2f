import Foundation
import Testing
import OlleeyTestSupport

/// End-to-end tests of `olleey job` on the built binary, with real ffmpeg, apertium and espeak-ng.
enum Tools {
    static func has(_ t: String) -> Bool { ToolCheck.installed(t) }
    static var media: Bool { ToolCheck.missing(ToolCheck.media).isEmpty && Binary.exists }

    @discardableResult
    static func sh(_ script: String, cwd: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: d, as: UTF8.self))
    }

    /// An 8-second video (test pattern + a tone) and its English subtitles with three cues.
    static func sample(in dir: String, name: String = "talk", freq: Int = 220) throws {
        let (rc, out) = try sh("""
            ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=frequency=\(freq):sample_rate=48000:duration=8 \
              -t 8 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 96k -shortest \(name).mp4
            """, cwd: dir)
        guard rc == 0 else { throw Failure("ffmpeg failed: \(out)") }
        try """
        WEBVTT

        00:00:00.500 --> 00:00:02.500
        Welcome to our channel.

        00:00:03.000 --> 00:00:05.000
        The river is cold.

        00:00:05.500 --> 00:00:07.500
        Thank you for watching.

        """.write(toFile: dir + "/\(name).en.vtt", atomically: true, encoding: .utf8)
    }

    /// Seconds until `p` exits (nil after `limit`).
    static func waitExit(_ p: Process, limit: Double) -> Double? {
        let t0 = Date()
        while p.isRunning {
            if Date().timeIntervalSince(t0) > limit { return nil }
            usleep(20_000)
        }
        return Date().timeIntervalSince(t0)
    }

    static func json(_ s: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(s.utf8)) }

    static func sql(_ db: String, _ q: String) throws -> String {
        try sh("sqlite3 '\(db)' \"\(q)\"", cwd: "/").1.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct Failure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

@Suite("End to end: dubbing jobs", .serialized, .enabled(if: Tools.media, "needs the release binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct JobEndToEndTests {
    func workspace() throws -> String {
        let dir = Binary.tempDir()
        try Tools.sample(in: dir)
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        return dir
    }

    func create(_ dir: String, _ extra: [String] = [], langs: String = "es,ca") throws -> String {
        let r = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", langs, "--json"] + extra, cwd: dir)
        guard r.exit == 0, let d = Tools.json(r.stdout) as? [String: Any], let id = d["id"] as? String else {
            throw Failure("job create failed (\(r.exit)): \(r.stderr)")
        }
        return id
    }

    func show(_ dir: String, _ id: String) throws -> [String: Any] {
        let r = try Binary.run(["job", "show", id, "--json", "--fit"], cwd: dir)
        return (Tools.json(r.stdout) as? [String: Any]) ?? [:]
    }

    func probe(_ path: String, _ entries: String) throws -> [String] {
        try Tools.sh("ffprobe -v error -show_entries \(entries) -of csv=p=0 '\(path)'", cwd: "/").1
            .split(separator: "\n").map(String.init)
    }

    @Test func dubsIntoTwoLanguagesWithTheExpectedStreams() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir)
        let run = try Binary.run(["job", "run", "--all"], cwd: dir)
        #expect(run.exit == 0, "\(run.stderr)")
        let job = try show(dir, id)
        #expect(job["status"] as? String == "completed")
        let langs = job["languages"] as? [[String: Any]] ?? []
        #expect(langs.map { $0["language"] as? String } == ["es", "ca"])
        let out = Tools.json(try Binary.run(["job", "outputs", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        let master = try #require(out["master"] as? String)
        // the master: video copied, original audio first, then spa and cat; subtitles eng, spa, cat
        #expect(try probe(master, "stream=codec_type:stream_tags=language") ==
                ["video,und", "audio,eng", "audio,spa", "audio,cat", "subtitle,eng", "subtitle,spa", "subtitle,cat"])
        let srcV = try Tools.sh("ffmpeg -v error -i talk.mp4 -map 0:v -c copy -f md5 -", cwd: dir).1
        let outV = try Tools.sh("ffmpeg -v error -i '\(master)' -map 0:v -c copy -f md5 -", cwd: dir).1
        #expect(srcV == outV, "the video stream must be copied, not re-encoded")
        let d0 = Double(try probe(dir + "/talk.mp4", "format=duration").first ?? "0") ?? 0
        let d1 = Double(try probe(master, "format=duration").first ?? "0") ?? 0
        #expect(abs(d0 - d1) < 0.04, "durations within a frame: \(d0) vs \(d1)")
        // per language: an MP4 with one dubbed audio and one subtitle track, VTT, SRT, audio
        let es = try #require((out["languages"] as? [String: Any])?["es"] as? [String: String])
        #expect(try probe(es["mp4"] ?? "", "stream=codec_type:stream_tags=language") == ["video,und", "audio,spa", "subtitle,spa"])
        let vtt = try String(contentsOfFile: es["vtt"] ?? "", encoding: .utf8)
        #expect(vtt.components(separatedBy: "-->").count == 4)
        #expect(vtt.lowercased().contains("canal"))
        #expect(!vtt.contains("Welcome to our channel"))
        #expect(try String(contentsOfFile: es["srt"] ?? "", encoding: .utf8).contains("00:00:00,500 --> 00:00:02,500"))
        #expect(FileManager.default.fileExists(atPath: es["audio"] ?? ""))
        // issue 10: the audio file is tagged with its language; the MP4's subtitles are not shown by
        // default over audio in the same language (ffmpeg alone enables them); nor in the master
        #expect(try probe(es["audio"] ?? "", "stream=codec_type:stream_tags=language") == ["audio,spa"])
        #expect(try probe(es["mp4"] ?? "", "stream=codec_type:stream_disposition=default") == ["video,1", "audio,1", "subtitle,0"])
        #expect(try probe(master, "stream=codec_type:stream_disposition=default").filter { $0.hasPrefix("subtitle") } == ["subtitle,0", "subtitle,0", "subtitle,0"])
        // the fit report is stored per cue
        let fit = (langs.first?["fit"] as? [String: Any])?["cues"] as? [[String: Any]] ?? []
        #expect(fit.count == 3)
        for c in fit { #expect((c["factor"] as? Double ?? 0) >= 1.0) }
        // running a finished job again does no work
        let before = try Tools.sql(dir + "/.olleey/olleey.db", "SELECT count(*) FROM stage_runs")
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        #expect(try Tools.sql(dir + "/.olleey/olleey.db", "SELECT count(*) FROM stage_runs") == before)
        #expect(try Tools.sql(dir + "/.olleey/olleey.db", "PRAGMA integrity_check") == "ok")
    }

    @Test("apertium gives back a cue of words it does not know as it was (a transcript's 'mm ta ta ta'): the job completes, the cue is kept and reported")
    func aCueApertiumCannotTranslateIsKeptAndReported() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var vtt = try String(contentsOfFile: dir + "/talk.en.vtt", encoding: .utf8)
        vtt = vtt.replacingOccurrences(of: "The river is cold.", with: "mm ta ta ta")
        try vtt.write(toFile: dir + "/talk.en.vtt", atomically: true, encoding: .utf8)
        let id = try create(dir, langs: "es")
        let run = try Binary.run(["job", "run", id], cwd: dir)
        #expect(run.exit == 0, "\(run.stderr)")
        #expect(try show(dir, id)["status"] as? String == "completed")
        let es = try Binary.run(["vtt", "show", id, "--lang", "es"], cwd: dir).stdout
        #expect(es.contains("mm ta ta ta") && !es.contains("Welcome to our channel."), "\(es)")
        let events = try Binary.run(["job", "events", id, "--json"], cwd: dir).stdout.split(separator: "\n")
            .compactMap { Tools.json(String($0)) as? [String: Any] }
        let copied = try #require(events.first { $0["kind"] as? String == "translate.copied" }, "events: \(events.compactMap { $0["kind"] })")
        #expect(copied["language"] as? String == "es" && ((copied["data"] as? [String: Any])?["cues"] as? [String]) == ["2"], "\(copied)")
    }

    @Test func oneCueEditResynthesizesOnlyThatCueAndLanguage() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // a command speaker that logs every call, then speaks with espeak-ng
        let log = dir + "/speak.log"
        try """
        #!/bin/bash
        echo "$2 $3" >> '\(log)'
        exec espeak-ng -v "$2" -w "$1" -f "$4"
        """.write(toFile: dir + "/speak.sh", atomically: true, encoding: .utf8)
        try Tools.sh("chmod +x speak.sh", cwd: dir)
        #expect(try Binary.run(["config", "set", "engines.speak.command", dir + "/speak.sh {output} {lang} {voice} {text_file}"], cwd: dir).exit == 0)
        let id = try create(dir, ["--engine", "speak=command"])
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        let calls = { (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").count ?? 0 }
        #expect(calls() == 6)   // 3 cues x 2 languages
        let caMP4 = dir + "/.olleey/outputs/\(id)/ca/talk.ca.mp4"
        let caBefore = try FileManager.default.attributesOfItem(atPath: caMP4)[.modificationDate] as? Date
        let out = dir + "/.olleey/outputs/\(id)"
        let inode = { (p: String) in (try? FileManager.default.attributesOfItem(atPath: p)[.systemFileNumber] as? Int) ?? nil }
        let inodes = [inode(out + "/es/talk.es.mp4"), inode(out + "/talk.master.mp4")]
        let e = try Binary.run(["vtt", "edit", id, "--lang", "es", "--cue", "2", "--text", "Hoy miramos el tiempo."], cwd: dir)
        #expect(e.exit == 0, "\(e.stderr)")
        // OLLEEY_TRACE: one line per subprocess (start ms, duration ms, pid, command)
        #expect(try Binary.run(["job", "run", id], cwd: dir, env: ["OLLEEY_TRACE": dir + "/trace.tsv"]).exit == 0)
        let trace = (try? String(contentsOfFile: dir + "/trace.tsv", encoding: .utf8))?.split(separator: "\n").map { $0.split(separator: "\t") } ?? []
        #expect(trace.count >= 2 && trace.allSatisfy { $0.count == 4 && Int($0[0]) != nil && Int($0[1]) != nil && Int($0[2]) != nil }, "\(trace)")
        #expect(trace.contains { $0.last?.contains("speak.sh") == true }, "the one synthesis is traced")
        // the ffmpeg version (and probes of unchanged files) are kept across processes
        #expect(!trace.contains { $0.last?.contains("ffmpeg -hide_banner -version") == true }, "\(trace)")
        #expect(calls() == 7, "only the edited cue is synthesized again")
        let vtt = try String(contentsOfFile: dir + "/.olleey/outputs/\(id)/es/talk.es.vtt", encoding: .utf8)
        #expect(vtt.contains("Hoy miramos el tiempo."))
        let caAfter = try FileManager.default.attributesOfItem(atPath: caMP4)[.modificationDate] as? Date
        #expect(caBefore == caAfter, "the other language is not rebuilt")
        // the language's MP4 and the master were updated in place (only the changed samples
        // written), and carry exactly the new dub and subtitles
        #expect([inode(out + "/es/talk.es.mp4"), inode(out + "/talk.master.mp4")] == inodes)
        // issue 10: the in-place update keeps the subtitles off by default beside audio in their language
        #expect(try probe(out + "/es/talk.es.mp4", "stream=codec_type:stream_disposition=default") == ["video,1", "audio,1", "subtitle,0"])
        let packets = { (p: String, stream: String) in try Tools.sh("ffmpeg -v error -i '\(p)' -map \(stream) -c copy -f md5 -", cwd: "/").1 }
        #expect(try packets(out + "/es/talk.es.mp4", "0:a:0") == packets(out + "/es/talk.es.m4a", "0:a:0"))
        #expect(try packets(out + "/talk.master.mp4", "0:a:1") == packets(out + "/es/talk.es.m4a", "0:a:0"))
        for p in [out + "/es/talk.es.mp4", out + "/talk.master.mp4"] {
            let srt = try Tools.sh("ffmpeg -v error -i '\(p)' -map 0:s:\(p.hasSuffix("master.mp4") ? 1 : 0) -f srt -", cwd: "/").1
            #expect(srt.contains("Hoy miramos el tiempo."), "\(p): \(srt)")
        }
        #expect(try show(dir, id)["status"] as? String == "completed")
        let v = Tools.json(try Binary.run(["vtt", "versions", id, "--lang", "es", "--json"], cwd: dir).stdout) as? [[String: Any]] ?? []
        #expect(v.count == 2)
        // superseded MP4s (each the size of the video) are not kept in the cache: one per language, one master
        let files = { (stage: String) -> [String] in
            (FileManager.default.enumerator(atPath: dir + "/.olleey/cache/" + stage)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".mp4") }
        }
        #expect(files("mp4").count == 2, "\(files("mp4"))")
        #expect(files("master").count == 1, "\(files("master"))")
        // and a revert rebuilds the MP4 from cached audio, without synthesis
        #expect(try Binary.run(["vtt", "restore", id, "--lang", "es", "--version", "1"], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        #expect(calls() == 7)
        #expect(try show(dir, id)["status"] as? String == "completed")
        #expect(files("mp4").count == 2 && files("master").count == 1)
    }

    @Test func killNineThenRunAgainCompletesWithIdenticalOutputs() throws {
        let ref = try workspace()
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: ref); try? FileManager.default.removeItem(atPath: dir) }
        let refId = try create(ref)
        #expect(try Binary.run(["job", "run", refId], cwd: ref).exit == 0)
        let id = try create(dir)
        // kill -9 at several points of the run, then let it finish
        for delay in ["0.4", "0.9", "1.5"] {
            try Tools.sh("'\(Binary.path)' job run \(id) >/dev/null 2>&1 & p=$!; sleep \(delay); kill -9 $p; wait $p", cwd: dir)
        }
        let r = try Binary.run(["job", "run", id], cwd: dir)
        #expect(r.exit == 0, "\(r.stderr)")
        #expect(try show(dir, id)["status"] as? String == "completed")
        #expect(try Tools.sql(dir + "/.olleey/olleey.db", "PRAGMA integrity_check") == "ok")
        for lang in ["es", "ca"] {
            for ext in ["vtt", "srt"] {
                let a = try String(contentsOfFile: ref + "/.olleey/outputs/\(refId)/\(lang)/talk.\(lang).\(ext)", encoding: .utf8)
                let b = try String(contentsOfFile: dir + "/.olleey/outputs/\(id)/\(lang)/talk.\(lang).\(ext)", encoding: .utf8)
                #expect(a == b)
            }
            let md5 = { (p: String) in try Tools.sh("ffmpeg -v error -i '\(p)' -map 0:a -f md5 -", cwd: "/").1 }
            #expect(try md5(ref + "/.olleey/outputs/\(refId)/\(lang)/talk.\(lang).mp4") == md5(dir + "/.olleey/outputs/\(id)/\(lang)/talk.\(lang).mp4"))
        }
    }

    @Test func killNineDuringAnEditsReRunLeavesValidOutputsAndResumes() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        let out = dir + "/.olleey/outputs/\(id)"
        let packets = { (p: String, stream: String) in try Tools.sh("ffmpeg -v error -i '\(p)' -map \(stream) -c copy -f md5 -", cwd: "/").1 }
        // several edits, each re-run killed at a different point (mix, side file, MP4 updates)
        for (k, delay) in ["0.15", "0.3", "0.45", "0.6"].enumerated() {
            #expect(try Binary.run(["vtt", "edit", id, "--lang", "es", "--cue", "2", "--text", "Frase número \(k)."], cwd: dir).exit == 0)
            try Tools.sh("'\(Binary.path)' job run \(id) >/dev/null 2>&1 & p=$!; sleep \(delay); kill -9 $p; wait $p", cwd: dir)
            // whatever the kill left, every output that exists is a whole movie
            for p in [out + "/es/talk.es.mp4", out + "/talk.master.mp4"] where FileManager.default.fileExists(atPath: p) {
                let (rc, err) = try Tools.sh("ffmpeg -v error -i '\(p)' -map 0 -c copy -f null -", cwd: "/")
                #expect(rc == 0 && err.isEmpty, "\(p) after a kill at \(delay) s: \(err)")
            }
        }
        let r = try Binary.run(["job", "run", id], cwd: dir)
        #expect(r.exit == 0, "\(r.stderr)")
        #expect(try show(dir, id)["status"] as? String == "completed")
        #expect(try Tools.sql(dir + "/.olleey/olleey.db", "PRAGMA integrity_check") == "ok")
        #expect(try packets(out + "/es/talk.es.mp4", "0:a:0") == packets(out + "/es/talk.es.m4a", "0:a:0"))
        #expect(try packets(out + "/talk.master.mp4", "0:a:1") == packets(out + "/es/talk.es.m4a", "0:a:0"))
        for p in [out + "/es/talk.es.mp4", out + "/talk.master.mp4"] {
            let srt = try Tools.sh("ffmpeg -v error -i '\(p)' -map 0:s:\(p.hasSuffix("master.mp4") ? 1 : 0) -f srt -", cwd: "/").1
            #expect(srt.contains("Frase número 3."), "\(p): \(srt)")
        }
        // nothing a killed process left behind stays in the MP4 caches
        let leftovers = ["mp4", "master"].flatMap { stage in
            (FileManager.default.enumerator(atPath: dir + "/.olleey/cache/" + stage)?.allObjects as? [String] ?? [])
                .filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }
        }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func twoWorkersNeverRunTheSameStageTwice() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Tools.sample(in: dir, name: "other", freq: 330)
        let a = try create(dir)
        let r = try Binary.run(["job", "create", "other.mp4", "--subtitles", "other.en.vtt", "--lang", "es,eo", "--json"], cwd: dir)
        #expect(r.exit == 0)
        let (rc, out) = try Tools.sh("""
            '\(Binary.path)' job run --all --parallel 2 >w1.log 2>&1 & p1=$!
            '\(Binary.path)' job run --all --parallel 2 >w2.log 2>&1 & p2=$!
            wait $p1; s1=$?; wait $p2; s2=$?; echo "$s1 $s2"
            """, cwd: dir)
        #expect(rc == 0)
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "0 0")
        let db = dir + "/.olleey/olleey.db"
        #expect(try Tools.sql(db, "SELECT count(*) FROM jobs WHERE status = 'completed'") == "2")
        let dupes = try Tools.sql(db, "SELECT job_id || language || stage FROM stage_runs WHERE state = 'done' AND cached = 0 GROUP BY job_id, language, stage HAVING count(*) > 1")
        #expect(dupes.isEmpty, "stages run twice: \(dupes)")
        let workers = try Tools.sql(db, "SELECT count(DISTINCT substr(worker, 1, instr(substr(worker, instr(worker, ':') + 1), ':') + instr(worker, ':'))) FROM stage_runs")
        #expect(Int(workers) ?? 0 >= 1)
        _ = a
    }

    @Test func badInputsFailWithAStageAndAReason() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // missing file, unknown language, subtitles that do not parse: refused at create
        #expect(try Binary.run(["job", "create", "nope.mp4", "--lang", "es"], cwd: dir).exit == 66)
        let unk = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "xx"], cwd: dir)
        #expect(unk.exit == 65 && unk.stderr.contains("unknown language"))
        try "WEBVTT\n\nthis is not a cue\n".write(toFile: dir + "/bad.vtt", atomically: true, encoding: .utf8)
        try "just some text\nwithout timings\n".write(toFile: dir + "/bad.srt", atomically: true, encoding: .utf8)
        #expect(try Binary.run(["job", "create", "talk.mp4", "--subtitles", "bad.vtt", "--lang", "es"], cwd: dir).exit == 65)
        #expect(try Binary.run(["job", "create", "talk.mp4", "--subtitles", "bad.srt", "--lang", "es"], cwd: dir).exit == 65)
        // a language pair apertium lacks: refused before any work, with what to install
        let pair = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "ja"], cwd: dir)
        #expect(pair.exit == 69, "\(pair.stderr)")
        #expect(try Tools.sql(dir + "/.olleey/olleey.db", "SELECT count(*) FROM jobs") == "0")
        // a corrupt file: refused at create (issue 10: probed there, not found at ingest), with a reason
        try Data((0..<20000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: dir + "/corrupt.mp4"))
        let c = try Binary.run(["job", "create", "corrupt.mp4", "--subtitles", "talk.en.vtt", "--lang", "es", "--json"], cwd: dir)
        #expect(c.exit == 65, "\(c.stderr)")
        #expect(c.stderr.contains("corrupt.mp4"))
        #expect(try Tools.sql(dir + "/.olleey/olleey.db", "SELECT count(*) FROM jobs") == "0")
        // a video without audio and without subtitles
        try Tools.sh("ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=25 -t 2 -c:v libx264 -preset ultrafast silent.mp4", cwd: dir)
        let s = try Binary.run(["job", "create", "silent.mp4", "--lang", "es", "--json"], cwd: dir)
        if s.exit == 0 {
            let sid = (Tools.json(s.stdout) as? [String: Any])?["id"] as? String ?? ""
            #expect(try Binary.run(["job", "run", sid], cwd: dir).exit == 2)
            let sj = try show(dir, sid)
            #expect(sj["status"] as? String == "failed")
            #expect(((sj["error"] as? String) ?? "").contains("no audio"))
        } else {
            #expect(s.exit == 69 || s.exit == 65)
        }
    }

    @Test func aFailingEngineFailsOneLanguageOthersKeepGoingAndRetryResumes() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // a command translator that fails for Catalan until a flag file exists
        try """
        #!/usr/bin/env python3
        import json, os, sys
        src, dst, tgt = sys.argv[1], sys.argv[2], sys.argv[3]
        if tgt == "ca" and not os.path.exists("\(dir)/ca-ok"):
            sys.stderr.write("no model for ca\\n"); sys.exit(3)
        d = json.load(open(src))
        json.dump({"cues": [{"id": c["id"], "text": "[" + tgt + "] " + c["text"][::-1]} for c in d["cues"]]}, open(dst, "w"))
        """.write(toFile: dir + "/mt.py", atomically: true, encoding: .utf8)
        try Tools.sh("chmod +x mt.py", cwd: dir)
        #expect(try Binary.run(["config", "set", "engines.translate.command", dir + "/mt.py {input} {output} {tgt}"], cwd: dir).exit == 0)
        let id = try create(dir, ["--engine", "translate=command"])
        let r = try Binary.run(["job", "run", id], cwd: dir)
        #expect(r.exit == 2)
        var j = try show(dir, id)
        #expect(j["status"] as? String == "failed")
        let langs = j["languages"] as? [[String: Any]] ?? []
        #expect(langs.first { $0["language"] as? String == "es" }?["status"] as? String == "draft")
        let ca = langs.first { $0["language"] as? String == "ca" } ?? [:]
        #expect(ca["status"] as? String == "failed")
        #expect(ca["error_stage"] as? String == "translate")
        #expect(((ca["error"] as? String) ?? "").contains("no model for ca"))
        let human = try Binary.run(["job", "show", id], cwd: dir).stdout
        #expect(human.contains("failed at translate") && human.contains("olleey job retry"))
        // fix the cause, retry: only Catalan runs again
        FileManager.default.createFile(atPath: dir + "/ca-ok", contents: Data())
        #expect(try Binary.run(["job", "retry", id], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        j = try show(dir, id)
        #expect(j["status"] as? String == "completed")
        let esRuns = try Tools.sql(dir + "/.olleey/olleey.db", "SELECT count(*) FROM stage_runs WHERE language = 'es' AND stage = 'translate' AND cached = 0")
        #expect(esRuns == "1")
    }

    @Test func anEngineThatGoesMissingAfterCreateFailsItsStageForEachLanguage() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, [])
        // after create, the speech engine becomes a command that does not exist
        #expect(try Binary.run(["config", "set", "engines.speak", "command"], cwd: dir).exit == 0)
        #expect(try Binary.run(["config", "set", "engines.speak.command", dir + "/no-such-tts {text_file} {output} {lang}"], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 2)
        let j = try show(dir, id)
        #expect(j["status"] as? String == "failed")
        for l in j["languages"] as? [[String: Any]] ?? [] {
            #expect(l["status"] as? String == "failed")
            #expect(l["error_stage"] as? String == "dub", "the speech engine's stage, not translate: \(l)")
            #expect(((l["error"] as? String) ?? "").contains("no-such-tts"), "\(l)")
        }
        // the engine back: retry completes
        #expect(try Binary.run(["config", "set", "engines.speak", "espeak-ng"], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "retry", id], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        #expect(try show(dir, id)["status"] as? String == "completed")
    }

    @Test(.enabled(if: (try? Tools.sh("unshare -n true", cwd: "/").0) == 0, "needs unshare -n (root)"))
    func offlineJobMakesNoNetworkConnection() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, langs: "eo")
        // a network namespace without interfaces: any connection attempt would fail the job
        let (rc, out) = try Tools.sh("unshare -n '\(Binary.path)' job run \(id)", cwd: dir)
        #expect(rc == 0, "\(out)")
        #expect(try show(dir, id)["status"] as? String == "completed")
    }

    @Test func dryRunPlansAndCreatesNothing() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es", "--dry-run", "--json"], cwd: dir)
        #expect(r.exit == 0, "\(r.stderr)")
        let plan = Tools.json(r.stdout) as? [String: Any] ?? [:]
        #expect(plan["dry_run"] as? Bool == true)
        let lang = (plan["languages"] as? [[String: Any]])?.first ?? [:]
        #expect((lang["stages"] as? [String])?.contains("dub") == true)
        let fit = ((lang["predicted_fit"] as? [String: Any])?["cues"] as? [[String: Any]]) ?? []
        #expect(fit.count == 3)
        #expect(try Tools.sql(dir + "/.olleey/olleey.db", "SELECT count(*) FROM jobs") == "0")
    }

    @Test func pauseResumeCancelAndListFilters() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, langs: "es")
        let p = try Binary.run(["job", "pause", id, "--json"], cwd: dir)
        #expect(p.exit == 0 && p.stdout.contains(#""status":"paused""#))
        #expect(try Binary.run(["job", "run", "--all"], cwd: dir).exit == 0)
        #expect(try show(dir, id)["status"] as? String == "paused", "a paused job is not run")
        #expect(try Binary.run(["job", "resume", id], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "resume", id], cwd: dir).exit == 1, "resuming a job that is not paused is a conflict")
        let other = try create(dir, langs: "ca")
        #expect(try Binary.run(["job", "cancel", other], cwd: dir).exit == 0)
        let list = Tools.json(try Binary.run(["job", "list", "--status", "cancelled", "--json"], cwd: dir).stdout) as? [[String: Any]] ?? []
        #expect(list.map { $0["id"] as? String } == [other])
        #expect(try Binary.run(["job", "list", "--status", "nonsense"], cwd: dir).exit == 64)
        let byLang = Tools.json(try Binary.run(["job", "list", "--lang", "es", "--json"], cwd: dir).stdout) as? [[String: Any]] ?? []
        #expect(byLang.map { $0["id"] as? String } == [id])
        #expect(try Binary.run(["job", "show", "zzzz"], cwd: dir).exit == 66)
        let w = try Binary.run(["job", "run", id], cwd: dir)
        #expect(w.exit == 0)
        let events = try Binary.run(["job", "watch", id], cwd: dir).stdout.split(separator: "\n")
        #expect(events.allSatisfy { Tools.json(String($0)) != nil })
        #expect(events.contains { $0.contains(#""kind":"job.created""#) })
        let stats = Tools.json(try Binary.run(["job", "stats", "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        #expect((stats["by_status"] as? [String: Any])?["completed"] as? Int == 1)
        #expect(try Binary.run(["job", "delete", other, "--json"], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "show", other], cwd: dir).exit == 66)
    }
}
