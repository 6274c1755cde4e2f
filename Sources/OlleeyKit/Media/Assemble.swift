import Foundation

/// An audio track to put into an MP4: the first audio stream of `path`.
public struct AudioTrackSpec: Sendable, Equatable {
    public var path: String
    /// ISO 639-1 (or 639-2) code; written as ISO 639-2/T.
    public var language: String
    /// Track title; default: the language's English name (plus " (original)" for the source).
    public var title: String?
    public init(path: String, language: String, title: String? = nil) {
        self.path = path; self.language = language; self.title = title
    }
}

/// A subtitle file (WebVTT or SRT) to put into an MP4 as a soft `mov_text` track.
public struct SubtitleTrackSpec: Sendable, Equatable {
    public var path: String
    public var language: String
    public var title: String?
    public init(path: String, language: String, title: String? = nil) {
        self.path = path; self.language = language; self.title = title
    }
}

/// One target language's outputs for the master file.
public struct LanguageOutput: Sendable, Equatable {
    public var language: String
    /// The mixed dub audio (`.m4a` from `mix`).
    public var audio: String
    /// The translated subtitles (VTT or SRT), if any.
    public var subtitles: String?
    public init(language: String, audio: String, subtitles: String? = nil) {
        self.language = language; self.audio = audio; self.subtitles = subtitles
    }
}

extension FFmpeg {
    /// Audio codecs MP4 can carry as they are; others are encoded to AAC.
    static let mp4AudioCodecs: Set<String> = ["aac", "mp3", "ac3", "eac3", "alac"]

    /// One MP4 for one language: the source's video stream copied (never re-encoded), the dub
    /// as the (default) audio track, the subtitles as a soft `mov_text` track, each tagged with
    /// the language. `burnIn` also renders the subtitles into the picture, which re-encodes
    /// the video (H.264), and only then.
    public func assembleLanguage(video: String, output: LanguageOutput, to path: String, burnIn: Bool = false) throws {
        try assemble(video: video,
                     audio: [AudioTrackSpec(path: output.audio, language: output.language)],
                     subtitles: output.subtitles.map { [SubtitleTrackSpec(path: $0, language: output.language)] } ?? [],
                     to: path, burnIn: burnIn ? output.subtitles : nil)
    }

    /// The master MP4: video copied; the original audio first (tagged with the source
    /// language), then each language's dub; then subtitle tracks, the source language's first,
    /// then each target language's. Every track carries an ISO 639-2 tag and a title.
    public func assembleMaster(video: String, sourceLanguage: String, sourceSubtitles: String?,
                               languages: [LanguageOutput], to path: String) throws {
        let info = try probe(video, requireVideo: true)
        var audio: [AudioTrackSpec] = []
        if info.audio != nil {
            let name = Language.find(sourceLanguage)?.name ?? sourceLanguage
            audio.append(AudioTrackSpec(path: video, language: sourceLanguage, title: "\(name) (original)"))
        }
        audio += languages.map { AudioTrackSpec(path: $0.audio, language: $0.language) }
        var subs: [SubtitleTrackSpec] = []
        if let s = sourceSubtitles { subs.append(SubtitleTrackSpec(path: s, language: sourceLanguage)) }
        subs += languages.compactMap { l in l.subtitles.map { SubtitleTrackSpec(path: $0, language: l.language) } }
        try assemble(video: video, audio: audio, subtitles: subs, to: path, burnIn: nil, probed: info)
    }

    /// General muxer: video stream 0 of `video` copied, then `audio` tracks in order (an audio
    /// spec whose path is `video` itself means the original audio), then `subtitles`.
    public func assemble(video: String, audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String,
                         burnIn: String? = nil, probed: MediaInfo? = nil) throws {
        let info = try probed ?? probe(video, requireVideo: true)
        guard info.video != nil else { throw OlleeyError(.invalid, "\((video as NSString).lastPathComponent) has no video stream") }
        for a in audio { try requireInputFile(a.path, "audio track") }
        for s in subtitles { try requireInputFile(s.path, "subtitle file") }
        guard (path as NSString).pathExtension.lowercased() == "mp4" || (path as NSString).pathExtension.lowercased() == "m4v" else {
            throw OlleeyError(.invalid, "output must be an .mp4 file (got \(path))")
        }

        var args = ["-i", video]
        var inputIndex: [String: Int] = [video: 0]
        func input(_ p: String) -> Int {
            if let i = inputIndex[p] { return i }
            let i = inputIndex.count
            inputIndex[p] = i
            args += ["-i", p]
            return i
        }
        var maps = ["-map", "0:v:0"]
        var codecs: [String] = []
        var meta: [String] = []

        // video
        var burnCopy: String?
        defer { if let b = burnCopy { unlink(b) } }
        if let burn = burnIn {
            // Copy the subtitles to a plain name: the subtitles filter's argument syntax needs escaping otherwise.
            let dir = (path as NSString).deletingLastPathComponent
            let ext = (burn as NSString).pathExtension.isEmpty ? "vtt" : (burn as NSString).pathExtension
            let copy = (dir.isEmpty ? "." : dir) + "/.burn-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).\(ext)"
            try FileManager.default.copyItem(atPath: burn, toPath: copy)
            burnCopy = copy
            let escaped = copy.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
                .replacingOccurrences(of: "'", with: "\\'")
            codecs += ["-vf", "subtitles='\(escaped)'", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
        } else {
            codecs += ["-c:v", "copy"]
        }

        // audio
        for (k, a) in audio.enumerated() {
            let i = input(a.path)
            maps += ["-map", "\(i):a:0"]
            let codec: String
            if a.path == video {
                codec = FFmpeg.mp4AudioCodecs.contains(info.audio?.codec ?? "") ? "copy" : "aac"
            } else {
                let c = (try? probe(a.path).audio?.codec) ?? nil
                codec = (c == "aac") ? "copy" : "aac"
            }
            codecs += ["-c:a:\(k)", codec]
            if codec == "aac" { codecs += ["-b:a:\(k)", "192k"] }
            let lang = Language.find(a.language)
            meta += ["-metadata:s:a:\(k)", "language=\(lang?.iso639_2 ?? "und")",
                     "-metadata:s:a:\(k)", "title=\(a.title ?? lang?.name ?? a.language)",
                     "-metadata:s:a:\(k)", "handler_name=\(a.title ?? lang?.name ?? a.language)",
                     "-disposition:a:\(k)", k == 0 ? "default" : "0"]
        }

        // subtitles
        for (k, s) in subtitles.enumerated() {
            let i = input(s.path)
            maps += ["-map", "\(i):s:0"]
            let lang = Language.find(s.language)
            meta += ["-metadata:s:s:\(k)", "language=\(lang?.iso639_2 ?? "und")",
                     "-metadata:s:s:\(k)", "title=\(s.title ?? lang?.name ?? s.language)",
                     "-metadata:s:s:\(k)", "handler_name=\(s.title ?? lang?.name ?? s.language)",
                     "-disposition:s:\(k)", "0"]
        }
        if !subtitles.isEmpty { codecs += ["-c:s", "mov_text"] }

        try FFmpeg.writing(path) { tmp in
            try run(args + maps + codecs + meta + ["-map_metadata", "0", "-map_chapters", "0", "-movflags", "+faststart", "-f", "mp4", tmp],
                    what: "assembling \((path as NSString).lastPathComponent)")
        }
    }
}
