import Foundation

/// Stand-ins for the external work of every stage, for benchmarks of coordination only
/// (`scripts/bench-scale`, `scripts/chaos-claims`): many workers on a machine with few cores,
/// where real ffmpeg and engine work would measure the CPU, not the claims, leases and store.
///
/// On only when the process that runs stages (`olleey worker`, `job run`, the server's worker)
/// has `OLLEEY_STANDIN_MS=N` in its environment (whole milliseconds, 0 to 60000; unset or empty:
/// off). No setting, flag or default turns it on. Then:
/// - every call of the media toolkit (each would be one ffprobe or ffmpeg process, or the
///   in-process mixer: `StandInMedia`) and of the translate, speak, transcribe and separate
///   engines (`StandInEngines.swift`) sleeps N ms, per call (cancellable, like a subprocess),
///   and writes a small placeholder that the pipeline downstream accepts: WAVs of silence of the
///   asked length and format (their `LIST/INFO` comment says they are stand-ins and names the
///   variable), and text files saying the same where MP4s and the mixed `.m4a` would be;
///   `probe` reads the MP4's own header in process (duration, tracks) instead of ffprobe;
/// - each translated cue is its source text labelled `[stand-in es, OLLEEY_STANDIN_MS]`, and
///   tracks, fit reports and cost lines name the engine `stand-in`;
/// - the stage cache is its own directory, `cache-standin/` beside `cache/` in the storage
///   path, so a later run without stand-ins never takes a placeholder for a real artefact;
/// - the runner logs `stand-ins: OLLEEY_STANDIN_MS=N, no real media or engine work ...` when it
///   starts, appends a `stand_in.used` event for each unit it runs, and each language it
///   renders carries `"stand_in": {"variable": "OLLEEY_STANDIN_MS", ...}` in its outputs
///   (`job show --json`, `job outputs --json`).
/// Everything else is the product's own code, unchanged: claims, leases, heartbeats, stage
/// bookkeeping, the cache, the store's writes and events. A job's time is then about N ms times
/// the calls on its path: one probe to prepare it; per language one translation, one synthesis
/// per cue (up to `DubStage.synthesisWidth` at once), the dub track, the background's probe and
/// extraction, the mix, the side file and the MP4; the master's two muxes.
/// Not covered (these still do their real work): `job create` (it probes the source with
/// ffprobe), the preflight that ffmpeg is on PATH, `--describe` (its analyses run ffmpeg
/// themselves), the diarizer, and the lip-sync, download and publish hooks.
public struct StandIn: Sendable, Equatable {
    public static let variable = "OLLEEY_STANDIN_MS"
    public static let maxMs = 60_000
    /// The sleep of each call.
    public let ms: Int

    public init(ms: Int) { self.ms = ms }

    /// The stand-ins `environment` asks for: nil when `OLLEEY_STANDIN_MS` is unset or empty; a
    /// configuration error (78) when it is not whole milliseconds from 0 to 60000.
    public static func from(_ environment: [String: String]) throws -> StandIn? {
        guard let raw = environment[variable]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let ms = Int(raw), (0...maxMs).contains(ms) else {
            throw OlleeyError(.config, "\(variable) must be whole milliseconds from 0 to \(maxMs) (got '\(raw)')",
                              hint: "unset it for real media and engine work: stand-ins are for benchmarks of coordination only")
        }
        return StandIn(ms: ms)
    }

    /// `OLLEEY_STANDIN_MS=N`.
    public var setting: String { "\(StandIn.variable)=\(ms)" }

    /// The line a runner logs when it starts.
    public var banner: String {
        "stand-ins: \(setting), no real media or engine work (each ffmpeg or engine call sleeps \(ms) ms and writes a placeholder)"
    }

    /// What every placeholder file says.
    public var note: String { "olleey stand-in (\(setting)): a placeholder, not media; no ffmpeg or engine ran" }

    /// The marker in events and outputs.
    public var json: JSON {
        .object([("variable", .string(StandIn.variable)), ("ms", .int(Int64(ms))),
                 ("note", .string("stand-ins: no real media or engine work; the outputs are placeholders"))])
    }

    /// The stand-ins' stage cache, apart from the real one.
    public func cacheRoot(_ workspace: Workspace) -> String { workspace.storageDir + "/cache-standin" }

    /// Sleeps `ms`; a cancel (pause, cancel, a stop by a signal) ends it at once with the error
    /// a stopped subprocess gives (`.interrupted`).
    func sleep(_ cancel: CancelToken) throws {
        try cancel.check()
        let end = Clock.monotonicNanos() + UInt64(ms) * 1_000_000
        while true {
            let now = Clock.monotonicNanos()
            if now >= end { return }
            usleep(UInt32(min(end - now, 20_000_000) / 1000))
            try cancel.check()
        }
    }
}
