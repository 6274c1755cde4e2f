import Foundation
import Testing

/// End-to-end tests of `--describe` (audio description) on the built binary, with real ffmpeg,
/// apertium and espeak-ng, on a generated 12-second video with English speech over a tone, and a
/// describer stand-in (a shell script, named as one) configured as the `command` describer.
@Suite("End to end: audio description", .enabled(if: Tools.media, "needs the binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct AudioDescriptionTests {
    /// Speech at 1.0 s and 7.0 s over a 220 Hz tone that runs the whole video; its subtitles.
    /// The gaps: after the first line to 7.0 s, and after the second line to the end.
    func workspace(describer: String? = nil) throws -> String {
        let dir = Binary.tempDir()
        let (rc, out) = try Tools.sh("""
            set -e
            espeak-ng -v en -s 170 -w l0.wav "Welcome to our channel."
            espeak-ng -v en -s 170 -w l1.wav "The river is cold today."
            ffmpeg -v error -y -f lavfi -i sine=frequency=220:sample_rate=48000:duration=12 -i l0.wav -i l1.wav \
              -filter_complex "[0:a]volume=0.1[bg];[1:a]adelay=1000|1000[a];[2:a]adelay=7000|7000[b];[bg][a][b]amix=inputs=3:normalize=0[m]" \
              -map "[m]" -ac 2 -ar 48000 narration.wav
            ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -i narration.wav -t 12 \
              -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 96k -shortest talk.mp4
            d0=$(ffprobe -v error -show_entries format=duration -of csv=p=0 l0.wav)
            d1=$(ffprobe -v error -show_entries format=duration -of csv=p=0 l1.wav)
            python3 - "$d0" "$d1" > talk.en.vtt <<'PY'
            import sys
            def ts(ms): ms = int(ms); return "%02d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)
            print("WEBVTT\\n")
            print(f"1\\n{ts(1000)} --> {ts(1000 + float(sys.argv[1]) * 1000)}\\nWelcome to our channel.\\n")
            print(f"2\\n{ts(7000)} --> {ts(7000 + float(sys.argv[2]) * 1000)}\\nThe river is cold today.\\n")
            PY
            rm -f l0.wav l1.wav narration.wav
            """, cwd: dir)
        guard rc == 0 else { throw Failure("making the sample failed: \(out)") }
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        if let describer {
            try describer.write(toFile: dir + "/describer-standin.sh", atomically: true, encoding: .utf8)
            chmod(dir + "/describer-standin.sh", 0o755)
            #expect(try Binary.run(["config", "set", "engines.describe", "command"], cwd: dir).exit == 0)
            #expect(try Binary.run(["config", "set", "engines.describe.command", dir + "/describer-standin.sh {input} {output} {start}"], cwd: dir).exit == 0)
        }
        return dir
    }

    /// A describer stand-in for tests: the same text for every gap, whatever the frames show; a
    /// long text for the gap starting before 5 s (too long for it even at the tempo cap).
    static let standIn = """
        #!/bin/sh
        # describer stand-in (tests): fixed text, not a description of the frames
        test -f "$1" || { echo "no frame" >&2; exit 1; }
        start=${3%%.*}
        if [ "$start" -lt 5 ]; then
          echo "A test card of coloured bars and moving shapes fills the whole screen while a small counter ticks in the corner and a circle sweeps around it slowly." > "$2"
        else
          echo "Coloured bars." > "$2"
        fi
        """

    func create(_ dir: String, _ extra: [String] = []) throws -> String {
        let r = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es", "--describe", "--json"] + extra, cwd: dir)
        guard r.exit == 0, let d = Tools.json(r.stdout) as? [String: Any], let id = d["id"] as? String else {
            throw Failure("job create failed (\(r.exit)): \(r.stderr)")
        }
        return id
    }

    func show(_ dir: String, _ id: String) throws -> [String: Any] {
        (Tools.json(try Binary.run(["job", "show", id, "--json"], cwd: dir).stdout) as? [String: Any]) ?? [:]
    }

    func language(_ job: [String: Any]) -> [String: Any] {
        ((job["languages"] as? [[String: Any]]) ?? []).first ?? [:]
    }

    func probe(_ path: String, _ args: String) throws -> [String] {
        try Tools.sh("ffprobe -v error \(args) -of csv=p=0 '\(path)'", cwd: "/").1.split(separator: "\n").map(String.init)
    }

    func seconds(_ path: String) throws -> Double {
        Double(try probe(path, "-select_streams v:0 -show_entries stream=duration").first ?? "") ?? -1
    }

    /// Start and end (ms) of each cue of a VTT file.
    func timings(_ path: String) throws -> [(Int, Int)] {
        func ms(_ t: Substring) -> Int {
            let p = t.split(separator: ":"), sec = p[2].split(separator: ".")
            return ((Int(p[0]) ?? 0) * 3600 + (Int(p[1]) ?? 0) * 60 + (Int(sec[0]) ?? 0)) * 1000 + (Int(sec[1]) ?? 0)
        }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { $0.contains("-->") }.map { line in
            let f = line.split(separator: " ")
            return (ms(f[0]), ms(f[2]))
        }
    }

    /// PSNR (dB) of region `crop` (w:h:x:y) between frame `at` seconds of two videos.
    func psnr(_ a: String, _ b: String, at: Double, crop: String) throws -> Double {
        let (_, out) = try Tools.sh("""
            ffmpeg -nostdin -hide_banner -ss \(at) -i '\(a)' -ss \(at) -i '\(b)' -frames:v 1 \
              -filter_complex "[0:v]crop=\(crop)[x];[1:v]crop=\(crop)[y];[x][y]psnr" -f null - 2>&1 | grep -o 'average:[0-9.inf]*' | head -1
            """, cwd: "/")
        let v = out.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "average:", with: "")
        return v == "inf" ? 99 : Double(v) ?? -1
    }

    @Test func captionsNameTheSpeakersKeepSoundTagsAndBurnInReadably() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        WEBVTT

        00:00:01.000 --> 00:00:02.800
        <v Anna>Welcome to our channel.</v>

        00:00:04.000 --> 00:00:05.000
        [music]

        00:00:07.000 --> 00:00:08.800
        <v Ben>The river is cold today.</v>

        """.write(toFile: dir + "/talk.sdh.vtt", atomically: true, encoding: .utf8)
        let r = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.sdh.vtt", "--lang", "es", "--captions", "--burn-in", "es", "--json"], cwd: dir)
        guard r.exit == 0, let id = (Tools.json(r.stdout) as? [String: Any])?["id"] as? String else { Issue.record("create: \(r.stderr)"); return }
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        let out = language(try show(dir, id))["outputs"] as? [String: Any] ?? [:]
        let vtt = try String(contentsOfFile: out["captions_vtt"] as? String ?? "", encoding: .utf8)
        let srt = try String(contentsOfFile: out["captions_srt"] as? String ?? "", encoding: .utf8)
        #expect(vtt.contains("<v Anna>Anna: ") && vtt.contains("<v Ben>Ben: ") && vtt.contains("["), "\(vtt)")
        #expect(srt.contains("Anna: ") && srt.contains("Ben: ") && srt.contains("["), "\(srt)")
        // the subtitles stay subtitles (no labels added)
        #expect(!(try String(contentsOfFile: out["vtt"] as? String ?? "", encoding: .utf8)).contains("Anna: "))
        // the captions lint profile reads them
        let lint = try Binary.run(["vtt", "lint", out["captions_vtt"] as? String ?? "", "--profile", "captions", "--json"], cwd: dir)
        #expect(lint.exit == 0 || lint.exit == 1)
        #expect(lint.stdout.contains("captions"), "\(lint.stdout)")
        // burned in: the picture changes where the captions are, and hardly anywhere else
        let mp4 = out["mp4"] as? String ?? ""
        let outside = try psnr(dir + "/talk.mp4", mp4, at: 7.8, crop: "320:170:0:0")
        let inside = try psnr(dir + "/talk.mp4", mp4, at: 7.8, crop: "320:44:0:192")
        #expect(outside > 35 && inside < outside - 10, "PSNR outside the captions \(outside) dB, inside \(inside) dB")
    }

    @Test func describedAudioAndAnExtendedVideoWhereADescriptionDoesNotFit() throws {
        let dir = try workspace(describer: AudioDescriptionTests.standIn)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir)
        let run = try Binary.run(["job", "run", id], cwd: dir)
        #expect(run.exit == 0, "\(run.stderr)")
        let job = try show(dir, id)
        #expect(job["status"] as? String == "completed")
        let es = language(job)
        let outputs = es["outputs"] as? [String: Any] ?? [:]
        let report = outputs["descriptions"] as? [String: Any] ?? [:]
        #expect(report["status"] as? String == "ready")

        // the gaps: found under the tone, between and after the lines, never over speech
        let speechCues = try timings(dir + "/talk.en.vtt")
        let gaps = ((report["speech"] as? [String: Any])?["gaps"] as? [[String: Any]] ?? []).map { ($0["start_ms"] as? Int ?? -1, $0["end_ms"] as? Int ?? -1) }
        #expect(gaps.count == 2, "\(report)")
        // the source script: one cue per gap, by the describer, inside its gap
        let script = Tools.json(try Binary.run(["vtt", "show", id, "--lang", "en", "--kind", "descriptions", "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        let scriptCues = script["cues"] as? [[String: Any]] ?? []
        #expect(scriptCues.count == 2)
        #expect(scriptCues.allSatisfy { $0["author"] as? String == "olleey/describe-command" })
        guard let srcVTT = outputs["source_descriptions_vtt"] as? String, let descVTT = outputs["descriptions_vtt"] as? String else {
            Issue.record("no descriptions outputs: \(outputs.keys.sorted())"); return
        }
        for (s, e) in try timings(srcVTT) + timings(descVTT) {
            #expect(gaps.contains { $0.0 <= s && e <= $0.1 }, "description \(s)-\(e) is not inside a gap \(gaps)")
            for (a, b) in speechCues { #expect(e <= a || s >= b, "description \(s)-\(e) overlaps speech \(a)-\(b)") }
        }
        #expect(try String(contentsOfFile: srcVTT, encoding: .utf8).contains("Coloured bars."))

        // the described audio: tagged for the visually impaired, in the described MP4 beside the programme
        let described = outputs["described_mp4"] as? String ?? ""
        let dispositions = try probe(described, "-select_streams a -show_entries stream_disposition=default,visual_impaired,descriptions")
        #expect(dispositions == ["1,0,0", "0,1,1"], "\(dispositions)")
        #expect(try probe(outputs["described_audio"] as? String ?? "", "-select_streams a -show_entries stream_disposition=visual_impaired") == ["1"])

        // extended AD: the long description holds the picture; longer by exactly that (within a frame)
        let extended = report["extended"] as? [String: Any] ?? [:]
        let added = extended["added_ms"] as? Int ?? 0
        let freezes = extended["freezes"] as? [[String: Any]] ?? []
        #expect(freezes.count == 1 && added > 0 && added % 40 == 0, "\(extended)")
        let ext = outputs["extended_mp4"] as? String ?? ""
        let grown = try seconds(ext) - seconds(dir + "/talk.mp4")
        #expect(abs(grown - Double(added) / 1000) <= 0.041, "extended by \(grown) s, freezes \(added) ms")
        #expect(try probe(ext, "-select_streams a -show_entries stream_disposition=visual_impaired") == ["1"])
        // its captions: shifted by the freeze after it, as they were before it
        let at = freezes.first?["at_ms"] as? Int ?? 0
        let plain = try timings(outputs["vtt"] as? String ?? ""), shifted = try timings(outputs["extended_vtt"] as? String ?? "")
        #expect(plain.count == shifted.count && !plain.isEmpty)
        for (p, q) in zip(plain, shifted) { #expect(q.0 - p.0 == (p.0 >= at ? added : 0), "cue \(p) became \(q), freeze at \(at) +\(added)") }
        // the overflowing description is only in the extended video
        let cues = report["cues"] as? [[String: Any]] ?? []
        #expect(cues.map { $0["in_described_audio"] as? Bool } == [false, true], "\(cues)")

        // a person's edit of the Spanish script: kept on the next run, the disposition survives
        let edit = try Binary.run(["vtt", "edit", id, "--lang", "es", "--kind", "descriptions", "--cue", "d2", "--plain", "--text", "Barras de colores."], cwd: dir)
        #expect(edit.exit == 0, "\(edit.stderr)")
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        let after = language(try show(dir, id))["outputs"] as? [String: Any] ?? [:]
        #expect(try String(contentsOfFile: after["descriptions_vtt"] as? String ?? "", encoding: .utf8).contains("Barras de colores."))
        #expect(try probe(after["described_mp4"] as? String ?? "", "-select_streams a -show_entries stream_disposition=visual_impaired") == ["0", "1"])
    }

    @Test func withoutADescriberTheJobWaitsForAPersonsScript() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 3)  // the job is not complete: it waits
        let job = try show(dir, id)
        #expect(job["status"] as? String == "waiting_approval" && job["stage"] as? String == "describe", "\(job["status"] ?? "") \(job["stage"] ?? "")")
        let es = language(job)
        #expect(es["status"] as? String == "waiting_approval")
        let report = (es["outputs"] as? [String: Any])?["descriptions"] as? [String: Any] ?? [:]
        #expect(report["status"] as? String == "waiting_for_script")
        #expect((report["message"] as? String ?? "").contains("--kind descriptions"))
        // nothing else is lost: the dubbed video is there
        #expect(FileManager.default.fileExists(atPath: (es["outputs"] as? [String: Any])?["mp4"] as? String ?? "/none"))

        // the person writes the script in a gap; the job runs on
        try "WEBVTT\n\n00:00:03.000 --> 00:00:05.500\nColoured bars fill the screen.\n".write(toFile: dir + "/script.vtt", atomically: true, encoding: .utf8)
        let edit = try Binary.run(["vtt", "edit", id, "--lang", "en", "--kind", "descriptions", "--file", "script.vtt", "--json"], cwd: dir)
        #expect(edit.exit == 0, "\(edit.stderr)")
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        let done = try show(dir, id)
        #expect(done["status"] as? String == "completed")
        let out = language(done)["outputs"] as? [String: Any] ?? [:]
        #expect(try timings(out["descriptions_vtt"] as? String ?? "").map(\.0) == [3000])
        let translated = Tools.json(try Binary.run(["vtt", "show", id, "--lang", "es", "--kind", "descriptions", "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        #expect((translated["cues"] as? [[String: Any]])?.first?["author"] as? String == "olleey/apertium")
    }


    @Test func descriptionsAreReviewedWithTheirLanguageAndVersionedLikeAnyTrack() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, ["--require-approval"])
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 3)
        func review() throws -> [String: Any] {
            let qc = Tools.json(try Binary.run(["qc", "status", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
            return ((qc["languages"] as? [[String: Any]])?.first?["descriptions"] as? [String: Any]) ?? [:]
        }
        func codes(_ r: [String: Any]) -> [String] { (r["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String } }
        // waiting for its script: shown by qc status, and not approvable
        let waiting = try review()
        #expect(waiting["status"] as? String == "waiting_for_script" && codes(waiting) == ["no_script"], "\(waiting)")
        let early = try Binary.run(["qc", "approve", id, "--lang", "es"], cwd: dir)
        #expect(early.exit == 1 && early.stderr.contains("audio-description script"), "\(early.exit) \(early.stderr)")

        // a person's script with a description over the dialogue (speech runs from 1.0 s)
        try "WEBVTT\n\nd1\n00:00:01.500 --> 00:00:02.500\nA river.\n\nd2\n00:00:04.000 --> 00:00:05.500\nColoured bars fill the screen.\n"
            .write(toFile: dir + "/script.vtt", atomically: true, encoding: .utf8)
        #expect(try Binary.run(["vtt", "edit", id, "--lang", "en", "--kind", "descriptions", "--file", "script.vtt"], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 3)  // rendered, waits for approval
        let flagged = try review()
        #expect(flagged["status"] as? String == "ready" && codes(flagged).contains("overlaps_speech") && flagged["errors"] as? Int == 1, "\(flagged)")
        let human = Tools.json(try Binary.run(["qc", "status", id], cwd: dir).stdout)
        #expect(human == nil)  // a table, not JSON
        #expect(try Binary.run(["qc", "status", id], cwd: dir).stdout.contains("read over the dialogue"))

        // fixed: a second version; versions, diff and restore take --kind like show and edit
        try "WEBVTT\n\nd1\n00:00:03.600 --> 00:00:04.000\nA river.\n\nd2\n00:00:04.000 --> 00:00:05.500\nColoured bars fill the screen.\n"
            .write(toFile: dir + "/script.vtt", atomically: true, encoding: .utf8)
        #expect(try Binary.run(["vtt", "edit", id, "--lang", "en", "--kind", "descriptions", "--file", "script.vtt"], cwd: dir).exit == 0)
        let versions = Tools.json(try Binary.run(["vtt", "versions", id, "--lang", "en", "--kind", "descriptions", "--json"], cwd: dir).stdout) as? [[String: Any]] ?? []
        #expect(versions.count == 2, "\(versions)")
        #expect((Tools.json(try Binary.run(["vtt", "versions", id, "--lang", "en", "--json"], cwd: dir).stdout) as? [[String: Any]] ?? []).count == 1)  // the transcript's own history
        let diff = try Binary.run(["vtt", "diff", id, "--lang", "en", "--kind", "descriptions", "--json"], cwd: dir)
        #expect(diff.exit == 1 && diff.stdout.contains("timing"), "\(diff.exit) \(diff.stdout)")
        #expect(try Binary.run(["vtt", "diff", "a.vtt", "b.vtt", "--kind", "descriptions"], cwd: dir).exit == 64)
        let restored = try Binary.run(["vtt", "restore", id, "--lang", "en", "--kind", "descriptions", "--version", "1", "--json"], cwd: dir)
        #expect(restored.exit == 0 && (Tools.json(restored.stdout) as? [String: Any])?["version"] as? Int == 3, "\(restored.stderr)")
        #expect(try Binary.run(["vtt", "show", id, "--lang", "en", "--kind", "descriptions"], cwd: dir).stdout.contains("00:00:01.500"))
        #expect(try Binary.run(["vtt", "restore", id, "--lang", "en", "--kind", "descriptions", "--version", "9"], cwd: dir).exit == 66)
        #expect(try Binary.run(["vtt", "restore", id, "--lang", "en", "--kind", "descriptions", "--version", "2"], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 3)
        let clean = try review()
        #expect(clean["errors"] as? Int == 0 && clean["version"] as? Int != nil, "\(clean)")

        // approved: the job completes, and the language's descriptions are locked with it
        #expect(try Binary.run(["qc", "approve", id, "--lang", "es"], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        #expect(try show(dir, id)["status"] as? String == "completed")
        let locked = try Binary.run(["vtt", "edit", id, "--lang", "es", "--kind", "descriptions", "--cue", "d2", "--plain", "--text", "Barras."], cwd: dir)
        #expect(locked.exit == 1 && locked.stderr.contains("approved"), "\(locked.exit) \(locked.stderr)")
        #expect(try Binary.run(["vtt", "edit", id, "--lang", "es", "--kind", "descriptions", "--cue", "d2", "--plain", "--text", "Barras.", "--reopen"], cwd: dir).exit == 0)
        let qc = Tools.json(try Binary.run(["qc", "status", id, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        #expect((qc["languages"] as? [[String: Any]])?.first?["state"] as? String == "in_review", "\(qc)")
    }

    @Test func badInputAndAFailingDescriberAreClearErrors() throws {
        let dir = try workspace(describer: "#!/bin/sh\n# describer stand-in (tests) that writes nothing\n: > \"$2\"\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // --describe with --fit-mode video: refused at create (64)
        let both = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es", "--describe", "--fit-mode", "video"], cwd: dir)
        #expect(both.exit == 64 && both.stderr.contains("--describe"), "\(both.exit) \(both.stderr)")
        let id = try create(dir)
        // no script yet: not found (66), saying how to write one
        let none = try Binary.run(["vtt", "show", id, "--lang", "en", "--kind", "descriptions"], cwd: dir)
        #expect(none.exit == 66 && none.stderr.contains("descriptions"), "\(none.exit) \(none.stderr)")
        // an unknown kind: usage (64)
        #expect(try Binary.run(["vtt", "show", id, "--lang", "en", "--kind", "captionz"], cwd: dir).exit == 64)
        // a describer that returns nothing: the language fails at describe, saying so; its other outputs stay
        _ = try Binary.run(["job", "run", id], cwd: dir)
        let job = try show(dir, id)
        #expect(job["status"] as? String == "failed")
        let es = language(job)
        #expect(es["error_stage"] as? String == "describe")
        #expect((es["error"] as? String ?? "").contains("returned nothing"), "\(es["error"] ?? "")")
        #expect(FileManager.default.fileExists(atPath: (es["outputs"] as? [String: Any])?["mp4"] as? String ?? "/none"))
    }
}
