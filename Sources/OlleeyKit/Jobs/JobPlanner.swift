import Foundation
import WebVTT

/// `job create --dry-run`: what would run, with which engines, producing what, and the predicted
/// fit of each cue from the speaker's measured speaking rate (with `--fit-mode video`, the cues
/// under which the video would be slowed, and so which languages would be left out of the
/// master). Creates nothing in the database.
public struct JobPlan: Sendable {
    public var json: JSON
    public var human: String
}

public struct JobPlanner {
    public let service: JobService

    public init(service: JobService) { self.service = service }

    /// Characters per second of a voice, measured once and kept in the cache.
    func speakingRate(_ speaker: any Speaker, language: String, voice: String?) throws -> Double {
        let dir = service.workspace.cacheDir + "/calibration"
        try FileIO.createDirectory(dir)
        let version = try speaker.version(language: language)
        let file = dir + "/" + StageCache.key([speaker.name, version, language, voice ?? ""]) + ".txt"
        if let t = try? FileIO.readText(file), let v = Double(t.trimmingCharacters(in: .whitespacesAndNewlines)), v > 0 { return v }
        let cps = try speaker.measureCharsPerSecond(language: language, voice: voice, scratchDir: dir)
        try FileIO.writeAtomically(String(cps), to: file)
        return cps
    }

    public func plan(_ r: JobCreateRequest) throws -> JobPlan {
        let (job, subtitles) = try service.validate(r)
        let engines = try service.engines(sourceLang: job.sourceLang, targets: job.options.targetLanguages, overrides: job.options.engines,
                                          needsTranscriber: subtitles == nil, lipSync: job.options.lipSync)
        try service.checkVoices(job, speaker: engines.speaker)
        let cues = subtitles.map { WebVTTParser.parse($0, mode: .browser).document.cues } ?? []
        var placeholder = job
        placeholder.id = "<job-id>"
        let master = OutputLayout.master(outputsDir: service.workspace.outputsDir, job: placeholder)
        var langs: [JSON] = []
        let videoMode = job.options.fitMode == "video"
        var slowedLangs: [String] = []
        var human = "plan for \(job.sourceName) [\(job.sourceLang)] -> \(job.options.targetLanguages.joined(separator: ", "))\n"
        human += "  job stages: ingest, transcribe (\(subtitles == nil ? engines.transcriber?.name ?? "-" : "provided subtitles, \(cues.count) cues"))\n"
        for lang in job.options.targetLanguages {
            let stages = ["translate", "voice", "dub", "lip_sync", "mix", "assemble"]
            var fitJSON: JSON = .null
            var overflowing = 0
            var slow: [(id: String, range: SlowRange)] = []
            if !cues.isEmpty {
                let voice = job.options.voices[lang]
                let cps = try speakingRate(engines.speaker, language: lang, voice: voice)
                var inputs: [FitInput] = []
                let keys = JobPipeline.cueKeys(cues)
                for (i, c) in cues.enumerated() {
                    let text = CueText.plainText(c.text)
                    let next = i + 1 < cues.count ? Int(cues[i + 1].startMs) : nil
                    inputs.append(FitInput(id: keys[i], startMs: Int(c.startMs), endMs: Int(c.endMs),
                                           naturalMs: FitPlanner.predictedNaturalMs(text: text, charsPerSecond: cps), nextStartMs: next))
                }
                let plan = FitPlanner.plan(inputs, options: try FitOptions(cap: job.options.maxTempo).validated())
                overflowing = plan.filter { !$0.fits }.count
                var pairs: [(String, JSON)] = [("chars_per_second", .double((cps * 100).rounded() / 100)), ("estimated_from", "source text"),
                                               ("cues", .array(plan.map(\.json)))]
                if videoMode {
                    // predicted from the source text, before rounding to the video's frames
                    slow = zip(inputs, plan).compactMap { i, r in FitPlanner.slowRange(i, r).map { (i.id, $0) } }
                    let added = slow.reduce(0.0) { $0 + $1.range.extraMs }
                    pairs.append(("video_slowdown", .object([
                        ("cues", .array(slow.map { s in .object([("id", .string(s.id)), ("start_ms", .int(Int64(s.range.startMs))),
                                                                 ("end_ms", .int(Int64(s.range.endMs))),
                                                                 ("factor", .double((s.range.factor * 1000).rounded() / 1000))]) })),
                        ("added_ms", .int(Int64(added.rounded()))),
                        ("in_master", .bool(slow.isEmpty)),
                    ])))
                }
                fitJSON = .object(pairs)
            }
            let dir = OutputLayout.languageStem(outputsDir: service.workspace.outputsDir, job: placeholder, language: lang)
            langs.append(.object([
                ("language", .string(lang)), ("stages", .array(stages.map { .string($0) })),
                ("engines", .object([("translate", .string(engines.translator.name)), ("speak", .string(engines.speaker.name)),
                                     ("voice", JSON(job.options.voices[lang]))])),
                ("outputs", .object([("mp4", .string(dir + ".mp4")), ("vtt", .string(dir + ".vtt")), ("srt", .string(dir + ".srt")), ("audio", .string(dir + ".m4a"))])),
                ("predicted_fit", fitJSON),
            ]))
            human += "  \(lang): translate (\(engines.translator.name)), voice, dub (\(engines.speaker.name)), lip_sync (\(job.options.lipSync ? "hook" : "skipped")), mix, assemble"
            if !cues.isEmpty { human += "; predicted overflow in \(overflowing) of \(cues.count) cues" }
            human += "\n"
            if !slow.isEmpty {
                slowedLangs.append(lang)
                human += "      video mode: would slow the video under cue(s) "
                    + slow.map { "\($0.id) (x\(String(format: "%.2f", $0.range.factor)))" }.joined(separator: ", ")
                    + ", +\(Int(slow.reduce(0.0) { $0 + $1.range.extraMs }.rounded())) ms; \(lang) gets its own video and is left out of the master\n"
            }
        }
        let noMaster = !slowedLangs.isEmpty && slowedLangs.count == job.options.targetLanguages.count
        human += "  then: " + (noMaster ? "no master (every language's video would be slowed)" : "master (\(master))")
            + "\(job.options.requireApproval ? ", approval" : ""), publish\n  nothing was created (dry run)"
        let json = JSON.object([
            ("dry_run", .bool(true)), ("source", .string(job.source)), ("source_lang", .string(job.sourceLang)),
            ("target_languages", .array(job.options.targetLanguages.map { .string($0) })),
            ("job_stages", .array(["ingest", "transcribe"])),
            ("transcribe", .string(subtitles == nil ? engines.transcriber?.name ?? "" : "subtitles")),
            ("languages", .array(langs)),
            ("final_stages", .array(((noMaster ? [] : ["master"]) + (job.options.requireApproval ? ["approval"] : []) + ["publish"]).map { .string($0) })),
            ("master", noMaster ? .null : .string(master)),
            ("master_excludes", .array(slowedLangs.map { .string($0) })),
        ])
        return JobPlan(json: json, human: human)
    }
}
