import Foundation
import Testing

/// End-to-end tests of `--fit-mode video` on the built binary, with real ffmpeg, apertium and
/// espeak-ng: a line too long for its slot even at the tempo cap slows the video under it.
@Suite("End to end: fit mode video", .enabled(if: Tools.media, "needs the release binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct VideoFitJobTests {
    /// A 6-second H.264 video at 25 fps with a keyframe every second (and a tone), and English
    /// subtitles whose second cue is a long sentence in half a second (at most 1.9 s with the
    /// silence after it): its Spanish speech overflows even at tempo 1.3.
    func workspace() throws -> String {
        let dir = Binary.tempDir()
        let (rc, out) = try Tools.sh("""
            ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=frequency=330:sample_rate=48000:duration=6 \
              -t 6 -c:v libx264 -preset ultrafast -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 96k -shortest talk.mp4
            """, cwd: dir)
        guard rc == 0 else { throw Failure("ffmpeg failed: \(out)") }
        try """
        WEBVTT

        00:00:00.500 --> 00:00:02.000
        Good morning.

        00:00:02.500 --> 00:00:03.000
        Welcome to our channel, today we talk about the cold river and the high mountains of the north.

        00:00:04.500 --> 00:00:05.500
        Thank you.

        """.write(toFile: dir + "/talk.en.vtt", atomically: true, encoding: .utf8)
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        return dir
    }

    func create(_ dir: String, mode: String) throws -> String {
        let r = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es", "--fit-mode", mode, "--json"], cwd: dir)
        guard r.exit == 0, let d = Tools.json(r.stdout) as? [String: Any], let id = d["id"] as? String else {
            throw Failure("job create failed (\(r.exit)): \(r.stderr)")
        }
        return id
    }

    func show(_ dir: String, _ id: String) throws -> [String: Any] {
        (Tools.json(try Binary.run(["job", "show", id, "--json", "--fit"], cwd: dir).stdout) as? [String: Any]) ?? [:]
    }

    func probe(_ path: String, _ args: String) throws -> [String] {
        try Tools.sh("ffprobe -v error \(args) -of csv=p=0 '\(path)'", cwd: "/").1.split(separator: "\n").map(String.init)
    }

    func seconds(_ path: String, stream: String? = nil) throws -> Double {
        let args = stream.map { "-select_streams \($0) -show_entries stream=duration" } ?? "-show_entries format=duration"
        return Double(try probe(path, args).first ?? "") ?? -1
    }

    /// The cue timings of a VTT file, in milliseconds.
    func timings(_ path: String) throws -> [(Int, Int)] {
        func ms(_ t: Substring) -> Int {
            let p = t.split(separator: ":")
            let sec = p.last.map { $0.split(separator: ".") } ?? []
            let h = p.count == 3 ? Int(p[0]) ?? 0 : 0, m = Int(p[p.count - 2]) ?? 0
            return ((h * 60 + m) * 60 + (Int(sec.first ?? "") ?? 0)) * 1000 + (Int(sec.count > 1 ? sec[1] : "") ?? 0)
        }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { $0.contains("-->") }.map { line in
            let f = line.split(separator: " ")
            return (ms(f[0]), ms(f[2]))
        }
    }

    func frameHashes(_ path: String) throws -> [String] {
        try Tools.sh("ffmpeg -nostdin -v error -i '\(path)' -map 0:v:0 -f framemd5 -", cwd: "/").1.split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    @Test func anOverflowingCueSlowsTheVideoUnderItOnly() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // the plan already names the cue that would slow the video
        let dry = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es", "--fit-mode", "video", "--dry-run", "--json"], cwd: dir)
        #expect(dry.exit == 0, "\(dry.stderr)")
        let plan = Tools.json(dry.stdout) as? [String: Any] ?? [:]
        let predicted = (((plan["languages"] as? [[String: Any]])?.first?["predicted_fit"] as? [String: Any])?["video_slowdown"] as? [String: Any]) ?? [:]
        #expect(((predicted["cues"] as? [[String: Any]]) ?? []).map { $0["id"] as? String } == ["2"])
        #expect(plan["master"] is NSNull, "es is the only language and its video would be slowed: no master")

        let id = try create(dir, mode: "video")
        let run = try Binary.run(["job", "run", id], cwd: dir)
        #expect(run.exit == 0, "\(run.stderr)")
        let job = try show(dir, id)
        #expect(job["status"] as? String == "completed")
        let es = (job["languages"] as? [[String: Any]])?.first ?? [:]
        let fit = es["fit"] as? [String: Any] ?? [:]
        #expect(fit["fit_mode"] as? String == "video")
        let video = try #require(fit["video"] as? [String: Any])
        let added = try #require(video["added_ms"] as? Int)
        #expect(added > 0 && added % 40 == 0, "whole frames of 40 ms: \(added)")
        #expect(video["in_master"] as? Bool == false)
        #expect((video["ranges"] as? [[String: Any]])?.count == 1)

        // the fit report: cue 2 overflows at the cap and the video is slowed under it; the others are not
        let cues = fit["cues"] as? [[String: Any]] ?? []
        #expect(cues.count == 3)
        let c2 = cues.first { $0["id"] as? String == "2" } ?? [:]
        #expect((c2["overflow_ms"] as? Int ?? 0) > 0)
        #expect((c2["factor"] as? Double ?? 0) <= 1.3 + 1e-9)
        #expect((c2["video_factor"] as? Double ?? 0) > 1)
        #expect((c2["overflow_after_video_ms"] as? Int ?? 999) <= 20, "the slowed slot holds the speech (to half a frame)")
        for c in cues where c["id"] as? String != "2" { #expect(c["video_factor"] as? Double == 1) }
        let human = try Binary.run(["job", "show", id, "--fit"], cwd: dir).stdout
        #expect(human.contains("not in the master"), "\(human)")
        #expect(human.contains("x1.") || human.contains("x2.") || human.contains("x3."), "\(human)")

        // the es MP4: source duration + the added time; VTT cues after the slowed one shifted by it
        let outs = Tools.json(try Binary.run(["job", "outputs", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        let esOut = try #require((outs["languages"] as? [String: Any])?["es"] as? [String: Any])
        let mp4 = try #require(esOut["mp4"] as? String)
        let source = try seconds(dir + "/talk.mp4", stream: "v:0")
        let slowed = try seconds(mp4, stream: "v:0")
        #expect(abs(slowed - (source + Double(added) / 1000)) <= 0.08, "video \(slowed) s vs \(source) s + \(added) ms")
        #expect(abs(try seconds(mp4) - (source + Double(added) / 1000)) <= 0.08)
        let t = try timings(try #require(esOut["vtt"] as? String))
        #expect(t.count == 3)
        if t.count == 3 {
            #expect(t[0] == (500, 2000), "before the slowed cue: unchanged")
            #expect(t[1].0 == 2500 && t[1].1 > 3000, "the slowed cue lasts longer: \(t[1])")
            #expect(t[2] == (4500 + added, 5500 + added), "after it: shifted by \(added) ms, got \(t[2])")
        }
        #expect(try String(contentsOfFile: try #require(esOut["srt"] as? String), encoding: .utf8)
            .contains(String(format: "00:00:%02d,%03d", (4500 + added) / 1000, (4500 + added) % 1000)))

        // a valid MP4 with the source's codec, re-encoded only around the slowed cue
        #expect(try probe(mp4, "-show_entries stream=codec_type,codec_name") == ["h264,video", "aac,audio", "mov_text,subtitle"])
        #expect(try Tools.sh("ffmpeg -nostdin -v error -i '\(mp4)' -f null - 2>&1", cwd: "/").1.isEmpty, "decodes without errors")
        let before = try frameHashes(dir + "/talk.mp4"), after = try frameHashes(mp4)
        #expect(after.count == before.count + added / 40)
        #expect(Array(after.prefix(50)) == Array(before.prefix(50)), "the first two seconds are copied")
        #expect(Array(after.suffix(25)) == Array(before.suffix(25)), "the last second is copied")
        #expect(after[50] != before[50], "the seconds around the cue were re-encoded")

        // no master (es is its only language), and job outputs lists only what exists
        #expect(outs["master"] is NSNull)
        #expect(!FileManager.default.fileExists(atPath: dir + "/.olleey/outputs/\(id)/talk.master.mp4"))
        #expect(esOut["in_master"] as? Bool == false)
        for (k, v) in esOut { if let p = v as? String { #expect(FileManager.default.fileExists(atPath: p), "\(k): \(p)") } }
        let rows = try Binary.run(["job", "outputs", id], cwd: dir).stdout.split(separator: "\n")
        #expect(!rows.contains { $0.contains("master") })
        for r in rows { #expect(FileManager.default.fileExists(atPath: String(r.split(separator: "\t").last ?? ""))) }

        // a second run does no work
        let db = dir + "/.olleey/olleey.db"
        let runs = try Tools.sql(db, "SELECT count(*) FROM stage_runs")
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        #expect(try Tools.sql(db, "SELECT count(*) FROM stage_runs") == runs)
    }

    @Test func theMasterHasOnlyTheLanguagesWhoseVideoIsNotSlowed() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es,ca", "--fit-mode", "video", "--json"], cwd: dir)
        let id = try #require((Tools.json(r.stdout) as? [String: Any])?["id"] as? String, "\(r.stderr)")
        // a short Catalan line fits: ca keeps the original video and goes into the master, es does not
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        #expect(try Binary.run(["vtt", "edit", id, "--lang", "ca", "--cue", "2", "--text", "Hola."], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        var outs = Tools.json(try Binary.run(["job", "outputs", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        let master = try #require(outs["master"] as? String)
        #expect(try probe(master, "-show_entries stream=codec_type:stream_tags=language") ==
                ["video,und", "audio,eng", "audio,cat", "subtitle,eng", "subtitle,cat"])
        let langs = outs["languages"] as? [String: [String: Any]] ?? [:]
        #expect(langs["es"]?["in_master"] as? Bool == false)
        #expect(langs["ca"]?["in_master"] == nil)
        #expect(abs(try seconds(try #require(langs["ca"]?["mp4"] as? String)) - (try seconds(dir + "/talk.mp4"))) < 0.04)
        // a long line again: every language is slowed, and the master of the last render is removed
        #expect(try Binary.run(["vtt", "edit", id, "--lang", "ca", "--cue", "2", "--text",
                                "Benvinguts al nostre canal, avui parlem del riu fred i de les muntanyes altes del nord."], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        outs = Tools.json(try Binary.run(["job", "outputs", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        #expect(outs["master"] is NSNull)
        #expect(!FileManager.default.fileExists(atPath: master))
        let leftovers = try Tools.sh("find .olleey/outputs -name '*.tmp-*'", cwd: dir).1
        #expect(leftovers.isEmpty, "temporary files left in outputs: \(leftovers)")
    }

    @Test func audioModeReportsTheOverflowAndKeepsTheVideo() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, mode: "audio")
        let run = try Binary.run(["job", "run", id], cwd: dir)
        #expect(run.exit == 0, "\(run.stderr)")
        let job = try show(dir, id)
        #expect(job["status"] as? String == "completed")
        let fit = ((job["languages"] as? [[String: Any]])?.first?["fit"] as? [String: Any]) ?? [:]
        #expect(fit["fit_mode"] as? String == "audio")
        #expect(fit["video"] == nil)
        let c2 = ((fit["cues"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == "2" } ?? [:]
        #expect((c2["overflow_ms"] as? Int ?? 0) > 0, "reported, not absorbed")
        #expect(c2["video_factor"] == nil)
        let outs = Tools.json(try Binary.run(["job", "outputs", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        let esOut = try #require((outs["languages"] as? [String: Any])?["es"] as? [String: Any])
        #expect(esOut["in_master"] == nil)
        let mp4 = try #require(esOut["mp4"] as? String)
        #expect(abs(try seconds(mp4) - (try seconds(dir + "/talk.mp4"))) < 0.04)
        let md5 = { (p: String) in try Tools.sh("ffmpeg -v error -i '\(p)' -map 0:v -c copy -f md5 -", cwd: "/").1 }
        #expect(try md5(mp4) == md5(dir + "/talk.mp4"), "the video stream is copied")
        #expect(try timings(try #require(esOut["vtt"] as? String)).map(\.0) == [500, 2500, 4500])
        // the master has es
        let master = try #require(outs["master"] as? String)
        #expect(try probe(master, "-show_entries stream=codec_type:stream_tags=language").contains("audio,spa"))
    }
}
