import Foundation

/// An audio track to put into an MP4: the first audio stream of `path`.
public struct AudioTrackSpec: Sendable, Equatable {
    public var path: String
    /// ISO 639-1 (or 639-2) code; written as ISO 639-2/T.
    public var language: String
    /// Track title; default: the language's English name (plus " (original)" for the source).
    public var title: String?
    /// The file's audio codec when the caller knows it (e.g. "aac" for a mix olleey made):
    /// spares a probe.
    public var codec: String?
    /// ffmpeg disposition flags besides `default` (e.g. `visual_impaired+descriptions` for an
    /// audio-description track); nil: none.
    public var disposition: String?
    public init(path: String, language: String, title: String? = nil, codec: String? = nil, disposition: String? = nil) {
        self.path = path; self.language = language; self.title = title; self.codec = codec; self.disposition = disposition
    }
}

/// A subtitle file (WebVTT or SRT) to put into an MP4 as a soft `mov_text` track.
public struct SubtitleTrackSpec: Sendable, Equatable {
    public var path: String
    public var language: String
    public var title: String?
    /// ffmpeg disposition flags (e.g. `captions+hearing_impaired` for captions); nil: none.
    public var disposition: String?
    public init(path: String, language: String, title: String? = nil, disposition: String? = nil) {
        self.path = path; self.language = language; self.title = title; self.disposition = disposition
    }
}

/// One target language's outputs for the master file.
public struct LanguageOutput: Sendable, Equatable {
    public var language: String
    /// The mixed dub audio (`.m4a` from `mix`).
    public var audio: String
    /// The translated subtitles (VTT or SRT), if any.
    public var subtitles: String?
    /// Its captions (SDH), a soft track of the master tagged `captions+hearing_impaired`.
    public var captions: String?
    /// Its described audio (audio description), an audio track of the master tagged
    /// `visual_impaired+descriptions`.
    public var described: String?
    public init(language: String, audio: String, subtitles: String? = nil, captions: String? = nil, described: String? = nil) {
        self.language = language; self.audio = audio; self.subtitles = subtitles; self.captions = captions; self.described = described
    }
}

extension FFmpeg {
    /// The dispositions of accessibility tracks (MP4 `kind` boxes, which ffprobe reads back).
    public static let captionsDisposition = "captions+hearing_impaired"
    public static let describedDisposition = "visual_impaired+descriptions"

    /// "Spanish (captions)", "Spanish (audio description)".
    public static func captionsTitle(_ language: String) -> String { "\(Language.find(language)?.name ?? language) (captions)" }
    public static func describedTitle(_ language: String) -> String { "\(Language.find(language)?.name ?? language) (audio description)" }

    /// The accessibility tracks of a language as `assemble` takes them.
    static func accessTracks(_ languages: [LanguageOutput]) -> (audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec]) {
        (languages.compactMap { l in l.described.map { AudioTrackSpec(path: $0, language: l.language, title: describedTitle(l.language), codec: "aac", disposition: describedDisposition) } },
         languages.compactMap { l in l.captions.map { SubtitleTrackSpec(path: $0, language: l.language, title: captionsTitle(l.language), disposition: captionsDisposition) } })
    }
}

extension FFmpeg {
    /// How burned-in subtitles and captions look (libass `force_style`): DejaVu Sans (the
    /// bootstrap installs fonts-dejavu-core) on a half-transparent black box, for contrast on any
    /// picture.
    public static let burnInStyle = "FontName=DejaVu Sans,FontSize=22,BorderStyle=3,Outline=1,Shadow=0,BackColour=&H80000000,MarginV=18"

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
    /// then each target language's. Every track carries an ISO 639-2 tag and a title. A
    /// language's described audio follows the dubs (`visual_impaired+descriptions`), its
    /// captions the subtitles (`captions+hearing_impaired`), when it has them.
    /// `originalAudio`: a file whose first audio track is the original's (a side file), when
    /// not the video itself; `moovReserve` as for `assemble`.
    public func assembleMaster(video: String, sourceLanguage: String, sourceSubtitles: String?,
                               languages: [LanguageOutput], to path: String, originalAudio: String? = nil, moovReserve: Int? = nil) throws {
        let info = try probe(video, requireVideo: true)
        var audio: [AudioTrackSpec] = []
        if info.audio != nil {
            audio.append(AudioTrackSpec(path: originalAudio ?? video, language: sourceLanguage, title: FFmpeg.originalTitle(sourceLanguage)))
        }
        audio += languages.map { AudioTrackSpec(path: $0.audio, language: $0.language) }
        let access = FFmpeg.accessTracks(languages)
        audio += access.audio
        var subs: [SubtitleTrackSpec] = []
        if let s = sourceSubtitles { subs.append(SubtitleTrackSpec(path: s, language: sourceLanguage)) }
        subs += languages.compactMap { l in l.subtitles.map { SubtitleTrackSpec(path: $0, language: l.language) } }
        subs += access.subtitles
        try assemble(video: video, audio: audio, subtitles: subs, to: path, burnIn: nil, probed: info, moovReserve: moovReserve)
    }

    /// The original audio track's title in a master: "English (original)".
    public static func originalTitle(_ sourceLanguage: String) -> String {
        "\(Language.find(sourceLanguage)?.name ?? sourceLanguage) (original)"
    }

    /// General muxer: video stream 0 of `video` copied, then `audio` tracks in order (an audio
    /// spec whose path is `video` itself means the original audio), then `subtitles`.
    ///
    /// `moovReserve` (bytes) reserves room after the `moov` (ffmpeg's `-moov_size`) instead of
    /// moving it to the front afterwards (`+faststart`): `MP4Layout.update` writes the next
    /// `moov` there. Either way the `moov` comes first.
    public func assemble(video: String, audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String,
                         burnIn: String? = nil, probed: MediaInfo? = nil, moovReserve: Int? = nil) throws {
        try mux(video: video, audio: audio, subtitles: subtitles, to: path, burnIn: burnIn, probed: probed, moovReserve: moovReserve)
    }

    /// A "side" MP4 for `MP4Layout`: the audio and subtitle tracks, tagged as `assemble` tags
    /// them, and no video. An audio spec whose path is a video file takes that file's audio.
    public func muxSide(audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String) throws {
        try mux(video: nil, audio: audio, subtitles: subtitles, to: path, burnIn: nil, probed: nil, moovReserve: nil)
    }

    func mux(video: String?, audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String,
             burnIn: String?, probed: MediaInfo?, moovReserve: Int?) throws {
        let info = try video.map { try probed ?? probe($0, requireVideo: true) }
        if let video, info?.video == nil { throw OlleeyError(.invalid, "\((video as NSString).lastPathComponent) has no video stream") }
        for a in audio { try requireInputFile(a.path, "audio track") }
        for s in subtitles { try requireInputFile(s.path, "subtitle file") }
        guard (path as NSString).pathExtension.lowercased() == "mp4" || (path as NSString).pathExtension.lowercased() == "m4v" else {
            throw OlleeyError(.invalid, "output must be an .mp4 file (got \(path))")
        }

        var args: [String] = []
        var inputIndex: [String: Int] = [:]
        func input(_ p: String) -> Int {
            if let i = inputIndex[p] { return i }
            let i = inputIndex.count
            inputIndex[p] = i
            args += ["-i", p]
            return i
        }
        var maps: [String] = []
        var codecs: [String] = []
        var meta: [String] = []

        // video
        var burnCopy: String?
        defer { if let b = burnCopy { unlink(b) } }
        if let video { maps += ["-map", "\(input(video)):v:0"] }
        if video == nil {
            codecs += ["-vn"]
        } else if let burn = burnIn {
            // Copy the subtitles to a plain name: the subtitles filter's argument syntax needs escaping otherwise.
            let dir = (path as NSString).deletingLastPathComponent
            let ext = (burn as NSString).pathExtension.isEmpty ? "vtt" : (burn as NSString).pathExtension
            let copy = (dir.isEmpty ? "." : dir) + "/.burn-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).\(ext)"
            try FileManager.default.copyItem(atPath: burn, toPath: copy)
            burnCopy = copy
            let escaped = copy.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
                .replacingOccurrences(of: "'", with: "\\'")
            codecs += ["-vf", "subtitles='\(escaped)':force_style='\(FFmpeg.burnInStyle)'", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
        } else {
            codecs += ["-c:v", "copy"]
        }

        // audio
        for (k, a) in audio.enumerated() {
            let i = input(a.path)
            maps += ["-map", "\(i):a:0"]
            let codec: String
            if a.path == video {
                codec = FFmpeg.mp4AudioCodecs.contains(info?.audio?.codec ?? "") ? "copy" : "aac"
            } else {
                codec = FFmpeg.mp4AudioCodecs.contains(a.codec ?? (try? probe(a.path).audio?.codec) ?? "") ? "copy" : "aac"
            }
            codecs += ["-c:a:\(k)", codec]
            if codec == "aac" { codecs += ["-b:a:\(k)", "192k"] }
            let lang = Language.find(a.language)
            meta += ["-metadata:s:a:\(k)", "language=\(lang?.iso639_2 ?? "und")",
                     "-metadata:s:a:\(k)", "title=\(a.title ?? lang?.name ?? a.language)",
                     "-metadata:s:a:\(k)", "handler_name=\(a.title ?? lang?.name ?? a.language)",
                     "-disposition:a:\(k)", a.disposition.map { k == 0 ? "default+" + $0 : $0 } ?? (k == 0 ? "default" : "0")]
        }

        // subtitles
        for (k, s) in subtitles.enumerated() {
            let i = input(s.path)
            maps += ["-map", "\(i):s:0"]
            let lang = Language.find(s.language)
            meta += ["-metadata:s:s:\(k)", "language=\(lang?.iso639_2 ?? "und")",
                     "-metadata:s:s:\(k)", "title=\(s.title ?? lang?.name ?? s.language)",
                     "-metadata:s:s:\(k)", "handler_name=\(s.title ?? lang?.name ?? s.language)",
                     "-disposition:s:\(k)", s.disposition ?? "0"]
        }
        // mov_text already (a side file's track) is copied as it is, so its samples stay byte-identical
        for (k, s) in subtitles.enumerated() {
            let mp4 = ["mp4", "m4v", "mov"].contains((s.path as NSString).pathExtension.lowercased())
            let c = mp4 ? (try? probe(s.path).subtitleStreams.first?.codec) ?? nil : nil
            codecs += ["-c:s:\(k)", c == "mov_text" ? "copy" : "mov_text"]
        }

        try FFmpeg.writing(path) { tmp in
            try run(args + maps + codecs + meta + (video == nil ? ["-map_metadata", "-1", "-map_chapters", "-1"] : ["-map_metadata", "0", "-map_chapters", "0"] + (moovReserve.map { ["-moov_size", String($0)] } ?? ["-movflags", "+faststart"])) + ["-f", "mp4", tmp],
                    what: (path as NSString).lastPathComponent.hasPrefix(".") ? "assembling the MP4" : "assembling \((path as NSString).lastPathComponent)",  // a cache temporary's name means nothing to a user
                    progress: video == nil ? nil : progress)  // a side file (no video) is a short step of a stage
            // ffmpeg enables the first subtitle track whatever its disposition: not beside audio in its language
            try MP4Disposition.disableRedundantSubtitles(tmp)
        }
    }
}
