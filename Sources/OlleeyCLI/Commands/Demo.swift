import Foundation
import OlleeyKit

/// olleey demo: a real dub of a generated sample video with the offline engines.
enum DemoCommand {
    static let lines = [
        "Welcome to our channel.",
        "Today we look at the weather in the mountains.",
        "The river is cold, but the water is clean.",
        "Thank you for watching, and see you next week.",
    ]
    static let starts = [1000, 6000, 12000, 18000]

    static let spec: CommandSpec = CommandSpec(
        "demo", "make a sample video with an English narration and dub it into Spanish and Catalan",
        discussion: "Generates a 24-second test-pattern video with ffmpeg and a spoken English narration by espeak-ng (with its VTT), creates a workspace in DIR, and dubs it with the offline engines (apertium, espeak-ng). Prints where the outputs are.",
        examples: ["olleey demo", "olleey demo --dir /tmp/olleey-demo --lang es,ca,eo --json"],
        options: [.option("dir", "DIR", "where to make the demo workspace", type: .path, default: "./olleey-demo", completion: .directories),
                  .option("lang", "LIST", "target languages", type: .list, default: "es,ca")]
    ) { ctx in
        let dir = ctx.path(ctx.args.string("dir") ?? "olleey-demo")
        let langs = ctx.args.list("lang").isEmpty ? ["es", "ca"] : ctx.args.list("lang")
        try FileIO.createDirectory(dir)
        let video = dir + "/talk.mp4", vtt = dir + "/talk.en.vtt"
        if !FileManager.default.fileExists(atPath: video) || !FileManager.default.fileExists(atPath: vtt) {
            ctx.note("demo: making a 24 s sample video with an English narration in \(dir)")
            try makeSample(dir: dir)
        }
        let (ws, _) = try Workspace.initialize(at: dir)
        let db = try ws.open()
        let svc = JobService(db: db, workspace: ws, environment: ctx.environment)
        var r = JobCreateRequest(source: video)
        r.subtitlesPath = vtt
        r.sourceLang = "en"
        r.targetLanguages = langs
        let job = try svc.create(r)
        ctx.note("demo: created job \(job.id); dubbing into \(langs.joined(separator: ", ")) with apertium and espeak-ng")
        let start = Clock.monotonicNanos()
        let quiet = ctx.quiet, err = ctx.stderr
        let summary = try JobRunner(workspace: ws, jobs: [job.id], parallel: 2, environment: ctx.environment) { l in if !quiet { err.line(l) } }.run()
        let seconds = Double(Clock.monotonicNanos() - start) / 1e9
        let final = try JobStore(db).resolve(job.id)
        // no master when every language failed, or had its video slowed (config fit.mode video)
        let outputs = try JobQueries(db: db, workspace: ws, actor: Actor(email: nil)).outputs(final)  // a fresh demo workspace: its default organisation
        let languages = try JobStore(db).languages(job.id)
        let json = JSON.object([
            ("workspace", .string(ws.dir)), ("job_id", .string(job.id)), ("status", .string(final.status.rawValue)),
            ("seconds", .double((seconds * 10).rounded() / 10)),
            ("master", JSON(outputs.master)),
            ("languages", .object(outputs.languages.map { ($0.language, $0.outputs) })),
        ])
        try ctx.emit(json) {
            var s = "Dubbed \(video) into \(langs.joined(separator: ", ")) in \(String(format: "%.1f", seconds)) s: \(final.status.rawValue)\n"
            s += outputs.master.map { "  master (all languages): \($0)\n" } ?? "  no master MP4 (see 'olleey job show \(JobStore(db).printedId(job.id))')\n"
            for l in languages {
                s += "  \(l.language): " + (l.outputs["mp4"]?.stringValue.map { ws.filesRoot + "/" + $0 } ?? l.error ?? l.status.rawValue) + "\n"
            }
            s += "Inspect: cd \(dir) && olleey job show \(JobStore(db).printedId(job.id)) --fit"
            return s
        }
        return summary.failed > 0 ? 2 : 0
    }

    /// The sample: espeak-ng narration placed at fixed times over a quiet tone, a test pattern.
    static func makeSample(dir: String) throws {
        _ = try Subprocess.require("espeak-ng", purpose: "the demo narration")
        let ff = try FFmpeg()
        var doc = "WEBVTT\n\n"
        var inputs: [String] = []
        var filters = ""
        for (i, text) in lines.enumerated() {
            let wav = dir + "/.line\(i).wav"
            try Subprocess.run("espeak-ng", ["-v", "en", "-s", "160", "-w", wav, text])
            let ms = try ff.audioDurationMs(wav)
            doc += "\(ts(starts[i])) --> \(ts(starts[i] + ms))\n\(text)\n\n"
            inputs += ["-i", wav]
            filters += "[\(i + 1):a]adelay=\(starts[i])|\(starts[i])[d\(i)];"
        }
        defer { for i in lines.indices { unlink(dir + "/.line\(i).wav") } }
        let mix = filters + "[0:a]volume=0.15[bg];[bg]" + lines.indices.map { "[d\($0)]" }.joined() + "amix=inputs=\(lines.count + 1):normalize=0[a]"
        let narration = dir + "/.narration.wav"
        defer { unlink(narration) }
        try Subprocess.run(ff.ffmpegPath, ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:duration=24"] + inputs +
                           ["-filter_complex", mix, "-map", "[a]", "-ac", "2", "-ar", "48000", narration])
        try Subprocess.run(ff.ffmpegPath, ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-i", narration, "-t", "24",
                                           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-shortest",
                                           dir + "/talk.mp4"])
        try FileIO.writeAtomically(doc, to: dir + "/talk.en.vtt")
    }

    static func ts(_ ms: Int) -> String {
        String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    }
}
